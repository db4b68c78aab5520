"""update never zeroes a.grad, so every step adds the previous gradients in."""
CAUGHT_BY = (
    "test_update_zeroes_grad",
    "test_update_second_step_uses_only_its_own_gradient",
    "test_update_loop_reaches_the_least_squares_fit",
)


def update(x, y, a, lr):
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a.sub_(lr * a.grad)
    return loss
