"""update climbs the gradient (a += lr * grad)."""


def update(x, y, a, lr):
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a.add_(lr * a.grad)
        a.grad.zero_()
    return loss
