"""Keeps the learning rate of its first call on each Parameter."""
CAUGHT_BY = ("test_update_takes_the_plain_step_on_every_call",)

_rates = {}

def update(x, y, a, lr):
    lr = _rates.setdefault(a, lr)
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a -= lr * a.grad
        a.grad.zero_()
    return loss
