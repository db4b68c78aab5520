"""A dot product over numel."""

def mse(y_hat, y):
    d = y_hat - y
    return (d @ d) / d.numel()
