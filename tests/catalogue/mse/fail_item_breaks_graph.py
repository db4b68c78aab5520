""".item() then a new tensor."""
CAUGHT_BY = (
    "test_mse_returns_0dim_tensor_of_input_dtype_and_device",
    "test_mse_gradient_matches_reference",
)

def mse(y_hat, y):
    return torch.tensor(((y_hat - y) ** 2).mean().item())
