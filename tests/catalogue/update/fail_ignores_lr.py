"""Always steps with 0.1."""
CAUGHT_BY = (
    "test_update_steps_against_the_gradient",
    "test_update_takes_the_plain_step_on_every_call",
    "test_update_loop_reaches_the_least_squares_fit",
)

def update(x, y, a, lr):
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a.sub_(0.1 * a.grad)
        a.grad.zero_()
    return loss
