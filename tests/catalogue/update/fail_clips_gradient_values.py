"""Clips each gradient entry to [-1, 1]."""
CAUGHT_BY = ("test_update_steps_right_far_from_the_fit",)

def update(x, y, a, lr):
    loss = mse(x @ a, y)
    loss.backward()
    torch.nn.utils.clip_grad_value_([a], 1.0)
    with torch.no_grad():
        a -= lr * a.grad
        a.grad.zero_()
    return loss
