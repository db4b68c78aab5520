"""Detached result."""
CAUGHT_BY = ("test_mse_gradient_matches_reference",)

def mse(y_hat, y):
    return ((y_hat - y) ** 2).mean().detach()
