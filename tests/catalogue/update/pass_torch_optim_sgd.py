"""torch.optim.SGD for one step, then zero_grad()."""

def update(x, y, a, lr):
    opt = torch.optim.SGD([a], lr=lr)
    loss = mse(x @ a, y)
    loss.backward()
    opt.step()
    opt.zero_grad()
    return loss
