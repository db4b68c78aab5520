"""Divides by n - 1 (the sample variance's denominator)."""
CAUGHT_BY = (
    "test_mse_value_matches_reference",
    "test_mse_gradient_matches_reference",
)

def mse(y_hat, y):
    return ((y_hat - y) ** 2).sum() / (len(y) - 1)
