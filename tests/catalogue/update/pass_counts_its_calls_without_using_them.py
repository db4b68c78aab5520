"""Counts its calls per Parameter (for a progress note) but steps plainly."""

_calls = {}

def update(x, y, a, lr):
    _calls[a] = _calls.get(a, 0) + 1
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a.sub_(lr * a.grad)
    a.grad = None
    return loss
