"""exp(2 log|e|): log of 0 on a row that fits exactly, so a nan gradient there."""
CAUGHT_BY = ("test_mse_gradient_matches_reference",)

def mse(y_hat, y):
    return torch.exp(2 * torch.log((y_hat - y).abs())).mean()
