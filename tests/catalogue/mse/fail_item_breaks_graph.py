""".item() then a new tensor."""
CAUGHT_BY = "test_mse_gradient_matches_reference"

def mse(y_hat, y):
    return torch.tensor(((y_hat - y) ** 2).mean().item())
