"""Squares sqrt(e ** 2) row by row: nan gradient on every row that fits exactly."""
CAUGHT_BY = ("test_mse_gradient_matches_reference",)

def mse(y_hat, y):
    return (((y_hat - y) ** 2).sqrt() ** 2).mean()
