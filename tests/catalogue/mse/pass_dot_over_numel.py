"""The difference dotted with itself over numel()."""

def mse(y_hat, y):
    d = (y_hat - y).flatten()
    return d.dot(d) / d.numel()
