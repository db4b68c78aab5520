"""Multiplies by lr twice."""
CAUGHT_BY = (
    "test_update_steps_against_the_gradient",
    "test_update_second_step_uses_only_its_own_gradient",
)

def update(x, y, a, lr):
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a -= lr * lr * a.grad
        a.grad.zero_()
    return loss
