"""Clips the gradient norm to 5: the plain step near the lesson's start, a shorter one where it is steep."""
CAUGHT_BY = ("test_update_steps_right_far_from_the_fit",)

def update(x, y, a, lr):
    loss = mse(x @ a, y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_([a], 5.0)
    with torch.no_grad():
        a -= lr * a.grad
        a.grad.zero_()
    return loss
