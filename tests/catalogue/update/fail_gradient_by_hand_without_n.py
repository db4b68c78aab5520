"""Hand-written gradient missing the 1/n."""
CAUGHT_BY = (
    "test_update_steps_against_the_gradient",
    "test_update_steps_right_far_from_the_fit",
    "test_update_takes_the_plain_step_on_every_call",
    "test_update_loop_reaches_the_least_squares_fit",
)

def update(x, y, a, lr):
    loss = mse(x @ a, y)
    with torch.no_grad():
        a.sub_(lr * 2 * x.T @ (x @ a - y))
    return loss
