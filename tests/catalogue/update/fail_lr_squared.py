"""Multiplies by lr twice."""
CAUGHT_BY = (
    "test_update_steps_against_the_gradient",
)

def update(x, y, a, lr):
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a -= lr * lr * a.grad
        a.grad.zero_()
    return loss
