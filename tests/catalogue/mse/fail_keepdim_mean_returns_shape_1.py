"""mean(dim=0, keepdim=True): the right value in a tensor of shape (1,), not 0-dim."""
CAUGHT_BY = (
    "test_mse_returns_0dim_tensor_of_input_dtype_and_device",
)

def mse(y_hat, y):
    return ((y_hat - y) ** 2).mean(dim=0, keepdim=True)
