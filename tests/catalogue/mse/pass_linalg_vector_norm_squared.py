"""torch.linalg.vector_norm squared, over numel."""

def mse(y_hat, y):
    return torch.linalg.vector_norm(y_hat - y) ** 2 / y.numel()
