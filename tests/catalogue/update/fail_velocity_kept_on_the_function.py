"""Heavy-ball momentum in a function attribute, shared by every call and Parameter."""
CAUGHT_BY = (
    "test_update_steps_against_the_gradient",
    "test_update_steps_right_far_from_the_fit",
    "test_update_takes_the_plain_step_on_every_call",
    "test_update_loop_reaches_the_least_squares_fit",
    "any device",
)

def update(x, y, a, lr):
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        velocity = getattr(update, "velocity", torch.zeros_like(a))
        velocity = 0.9 * velocity + a.grad
        update.velocity = velocity
        a -= lr * velocity
        a.grad.zero_()
    return loss
