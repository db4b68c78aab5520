"""Clamps each entry of the step to [-1, 1]."""
CAUGHT_BY = ("test_update_steps_right_far_from_the_fit",)

def update(x, y, a, lr):
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a -= (lr * a.grad).clamp(-1.0, 1.0)
        a.grad.zero_()
    return loss
