"""torch.autograd.grad instead of backward (a.grad stays None)."""

def update(x, y, a, lr):
    loss = mse(x @ a, y)
    (grad,) = torch.autograd.grad(loss, a)
    with torch.no_grad():
        a.sub_(lr * grad)
    return loss
