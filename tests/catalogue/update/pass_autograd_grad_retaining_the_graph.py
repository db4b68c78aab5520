"""torch.autograd.grad with retain_graph, so a.grad is never filled."""

def update(x, y, a, lr):
    loss = mse(x @ a, y)
    (g,) = torch.autograd.grad(loss, a, retain_graph=True)
    with torch.no_grad():
        a.sub_(lr * g)
    return loss
