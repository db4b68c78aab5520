"""(mean ** 0.5) ** 2: a root by pow, with no gradient at a perfect fit."""
CAUGHT_BY = ("test_mse_gradient_matches_reference",)

def mse(y_hat, y):
    return (((y_hat - y) ** 2).mean() ** 0.5) ** 2
