"""Decays lr with a step counter shared by every call: only the very first call is right."""
CAUGHT_BY = (
    "test_update_steps_against_the_gradient",
    "test_update_steps_right_far_from_the_fit",
    "test_update_takes_the_plain_step_on_every_call",
)

_step = [0]

def update(x, y, a, lr):
    _step[0] += 1
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a -= lr * 0.99 ** (_step[0] - 1) * a.grad
        a.grad.zero_()
    return loss
