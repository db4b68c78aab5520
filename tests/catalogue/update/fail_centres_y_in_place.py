"""Centres y in place first."""
CAUGHT_BY = (
    "test_update_steps_against_the_gradient",
    "test_update_steps_right_far_from_the_fit",
    "test_update_takes_the_plain_step_on_every_call",
    "test_update_returns_the_loss_before_the_step_with_its_graph",
    "test_update_leaves_x_and_y_unchanged",
    "test_update_loop_reaches_the_least_squares_fit",
)

def update(x, y, a, lr):
    y -= y.mean()
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a.sub_(lr * a.grad)
        a.grad.zero_()
    return loss
