"""Tensor.pow then mean."""

def mse(y_hat, y):
    return (y_hat - y).pow(2).mean()
