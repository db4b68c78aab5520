"""Computes the gradient on the first call per Parameter, then reuses it."""
CAUGHT_BY = (
    "test_update_takes_the_plain_step_on_every_call",
    "test_update_loop_reaches_the_least_squares_fit",
)

_gradients = {}

def update(x, y, a, lr):
    loss = mse(x @ a, y)
    if a not in _gradients:
        loss.backward()
        _gradients[a] = a.grad.clone()
        a.grad.zero_()
    with torch.no_grad():
        a -= lr * _gradients[a]
    return loss
