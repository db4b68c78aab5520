"""Squares the difference in place: it is a new tensor, not an input."""

def mse(y_hat, y):
    d = y_hat - y
    d = d * d
    return d.sum() / d.numel()
