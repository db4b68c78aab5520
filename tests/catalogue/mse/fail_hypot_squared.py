"""hypot(e, 0) ** 2: |e| through hypot, whose gradient at 0 is nan."""
CAUGHT_BY = ("test_mse_gradient_matches_reference",)

def mse(y_hat, y):
    d = y_hat - y
    return (torch.hypot(d, torch.zeros_like(d)) ** 2).mean()
