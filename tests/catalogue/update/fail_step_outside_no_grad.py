"""In-place step on a leaf outside no_grad."""
CAUGHT_BY = "test_update_steps_against_the_gradient"

def update(x, y, a, lr):
    loss = mse(x @ a, y)
    loss.backward()
    a.sub_(lr * a.grad)
    a.grad.zero_()
    return loss
