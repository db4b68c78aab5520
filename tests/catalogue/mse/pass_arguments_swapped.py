"""y - y_hat (the seed's order)."""

def mse(y_hat, y):
    return torch.mean((y - y_hat) * (y - y_hat))
