"""y_hat -= y: changes the caller's y_hat (and cannot run on a leaf that requires grad)."""
CAUGHT_BY = (
    "test_mse_gradient_matches_reference",
    "test_mse_leaves_inputs_unchanged",
)

def mse(y_hat, y):
    y_hat -= y
    return (y_hat ** 2).mean()
