"""Right, but .T on a 1-D tensor: torch warns (deprecated) on stderr, once per process unless asked."""
CAUGHT_BY = (
    "test_mse_value_matches_reference",
    "test_mse_returns_0dim_tensor_of_input_dtype_and_device",
    "test_mse_gradient_matches_reference",
    "test_mse_leaves_inputs_unchanged",
    "any device",
)

def mse(y_hat, y):
    d = y_hat - y
    return (d.T @ d) / d.numel()
