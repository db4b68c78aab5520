"""Subtracts in place from y."""
CAUGHT_BY = (
    "test_mse_gradient_matches_reference",
    "test_mse_leaves_inputs_unchanged",
)

def mse(y_hat, y):
    d = y.sub_(y_hat).neg_()
    return (d ** 2).mean()
