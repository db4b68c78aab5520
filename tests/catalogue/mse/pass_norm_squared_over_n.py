"""torch.norm squared over n (torch gives a norm the gradient 0 at 0)."""

def mse(y_hat, y):
    return torch.norm(y_hat - y) ** 2 / len(y)
