"""A Python float."""
CAUGHT_BY = "test_mse_value_matches_reference"

def mse(y_hat, y):
    return float(((y_hat - y) ** 2).mean())
