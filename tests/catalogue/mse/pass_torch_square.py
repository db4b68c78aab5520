"""torch.square."""

def mse(y_hat, y):
    return torch.square(y_hat - y).mean()
