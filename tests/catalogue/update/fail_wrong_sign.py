"""Climbs the gradient."""
CAUGHT_BY = (
    "test_update_steps_against_the_gradient",
    "test_update_loop_reaches_the_least_squares_fit",
)

def update(x, y, a, lr):
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a.add_(lr * a.grad)
        a.grad.zero_()
    return loss
