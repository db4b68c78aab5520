"""Divides lr by how often it was called on this Parameter: a schedule keyed by call count."""
CAUGHT_BY = (
    "test_update_takes_the_plain_step_on_every_call",
    "test_update_loop_reaches_the_least_squares_fit",
)

_calls = {}

def update(x, y, a, lr):
    _calls[a] = _calls.get(a, 0) + 1
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a -= lr / _calls[a] * a.grad
        a.grad.zero_()
    return loss
