"""rmse ** 2: the right value everywhere, but its gradient at a perfect fit (y_hat == y) is nan, not 0."""
CAUGHT_BY = ("test_mse_gradient_matches_reference",)

def mse(y_hat, y):
    rmse = torch.sqrt(torch.mean((y_hat - y) ** 2))
    return rmse ** 2
