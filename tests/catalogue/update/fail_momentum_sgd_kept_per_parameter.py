"""Keeps one SGD with momentum per Parameter: right on the first call, momentum added on every later one."""
CAUGHT_BY = (
    "test_update_takes_the_plain_step_on_every_call",
    "test_update_loop_reaches_the_least_squares_fit",
)

_optimizers = {}

def update(x, y, a, lr):
    if a not in _optimizers:
        _optimizers[a] = torch.optim.SGD([a], lr=lr, momentum=0.9)
    optimizer = _optimizers[a]
    loss = mse(x @ a, y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return loss
