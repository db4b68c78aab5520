"""Adds a zeros vector made on the CPU."""
CAUGHT_BY = "test_mse_returns_0dim_tensor_of_input_dtype_and_device"

def mse(y_hat, y):
    return ((y_hat - y) ** 2 + torch.zeros(len(y))).mean()
