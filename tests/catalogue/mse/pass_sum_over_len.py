"""Sum divided by len()."""

def mse(y_hat, y):
    return ((y_hat - y) ** 2).sum() / len(y)
