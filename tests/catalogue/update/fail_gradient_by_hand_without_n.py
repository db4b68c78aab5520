"""Hand-written gradient missing the 1/n."""
CAUGHT_BY = "test_update_steps_against_the_gradient"

def update(x, y, a, lr):
    loss = mse(x @ a, y)
    with torch.no_grad():
        a.sub_(lr * 2 * x.T @ (x @ a - y))
    return loss
