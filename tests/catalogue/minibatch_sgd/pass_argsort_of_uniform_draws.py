"""A permutation as the argsort of uniform draws from the generator."""

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    losses = []
    for _ in range(epochs):
        perm = torch.rand(len(x), generator=generator, device=x.device).argsort()
        for idx in perm.split(bs):
            losses.append(update(x[idx], y[idx], a, lr).item())
    return losses
