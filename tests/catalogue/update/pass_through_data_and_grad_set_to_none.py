"""Steps through .data and sets a.grad = None (the grad object is replaced: sealed mode must not compare tensors)."""

def update(x, y, a, lr):
    loss = mse(x @ a, y)
    loss.backward()
    a.data -= lr * a.grad.data
    a.grad = None
    return loss
