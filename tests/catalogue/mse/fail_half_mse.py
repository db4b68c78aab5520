"""Half the mean (the derivative-friendly textbook variant)."""
CAUGHT_BY = (
    "test_mse_value_matches_reference",
    "test_mse_gradient_matches_reference",
)

def mse(y_hat, y):
    return 0.5 * ((y_hat - y) ** 2).mean()
