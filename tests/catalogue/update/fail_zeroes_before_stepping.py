"""Zeroes a.grad, then steps by it."""
CAUGHT_BY = "test_update_steps_against_the_gradient"

def update(x, y, a, lr):
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a.grad.zero_()
        a.sub_(lr * a.grad)
    return loss
