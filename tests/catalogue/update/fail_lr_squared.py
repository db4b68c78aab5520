"""Multiplies by lr twice."""
CAUGHT_BY = (
    "test_update_steps_against_the_gradient",
    "test_update_steps_right_far_from_the_fit",
    "test_update_takes_the_plain_step_on_every_call",
)

def update(x, y, a, lr):
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a -= lr * lr * a.grad
        a.grad.zero_()
    return loss
