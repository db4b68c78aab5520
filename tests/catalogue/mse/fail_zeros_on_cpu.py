"""Adds a zeros vector made on the CPU."""
CAUGHT_BY = ("any device",)

def mse(y_hat, y):
    return ((y_hat - y) ** 2 + torch.zeros(len(y))).mean()
