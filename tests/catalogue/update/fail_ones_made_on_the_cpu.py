"""Scales the step by a ones vector made on the CPU: right there, broken on any other device."""
CAUGHT_BY = ("any device",)


def update(x, y, a, lr):
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a.sub_(lr * a.grad * torch.ones(2))
        a.grad.zero_()
    return loss
