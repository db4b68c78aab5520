"""Right, but prints a debugging line to stderr on every call (the noise policy: a check call must be quiet)."""
CAUGHT_BY = (
    "test_mse_value_matches_reference",
    "test_mse_returns_0dim_tensor_of_input_dtype_and_device",
    "test_mse_gradient_matches_reference",
    "test_mse_leaves_inputs_unchanged",
    "any device",
)

import sys

def mse(y_hat, y):
    print("mse called with", tuple(y_hat.shape), file=sys.stderr)
    return ((y_hat - y) ** 2).mean()
