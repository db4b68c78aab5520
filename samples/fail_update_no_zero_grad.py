"""update never zeroes a.grad, so every step adds the previous gradients in."""
CAUGHT_BY = (
    "test_update_zeroes_grad",
)


def update(x, y, a, lr):
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a.sub_(lr * a.grad)
    return loss
