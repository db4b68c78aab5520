"""a = a - lr * a.grad makes a new tensor."""
CAUGHT_BY = "test_update_steps_against_the_gradient"

def update(x, y, a, lr):
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a = a - lr * a.grad
    return loss
