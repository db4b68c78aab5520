"""Computes in float64 and returns float64 for float32 inputs."""
CAUGHT_BY = (
    "test_mse_returns_0dim_tensor_of_input_dtype_and_device",
)

def mse(y_hat, y):
    return ((y_hat.double() - y.double()) ** 2).mean()
