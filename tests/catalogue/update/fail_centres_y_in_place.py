"""Centres y in place first."""
CAUGHT_BY = "test_update_leaves_x_and_y_unchanged"

def update(x, y, a, lr):
    y -= y.mean()
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a.sub_(lr * a.grad)
        a.grad.zero_()
    return loss
