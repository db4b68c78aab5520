"""The square of sqrt(sum of squares), over n: nan gradient when every row fits."""
CAUGHT_BY = ("test_mse_gradient_matches_reference",)

def mse(y_hat, y):
    root = ((y_hat - y) ** 2).sum().sqrt()
    return root ** 2 / len(y)
