"""Leaves a without requires_grad."""
CAUGHT_BY = (
    "test_update_takes_the_plain_step_on_every_call",
    "test_update_keeps_a_the_same_leaf_parameter",
    "test_update_loop_reaches_the_least_squares_fit",
)

def update(x, y, a, lr):
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a.sub_(lr * a.grad)
    a.grad = None
    a.requires_grad_(False)
    return loss
