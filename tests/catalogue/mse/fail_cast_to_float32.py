"""Casts to float32."""
CAUGHT_BY = ("test_mse_returns_0dim_tensor_of_input_dtype_and_device",)

def mse(y_hat, y):
    return ((y_hat - y) ** 2).mean().float()
