"""Zeroes a.grad before backward instead of after the step: a.grad is left holding this step's gradient."""
CAUGHT_BY = (
    "test_update_zeroes_grad",
)

def update(x, y, a, lr):
    if a.grad is not None:
        a.grad.zero_()
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a -= lr * a.grad
    return loss
