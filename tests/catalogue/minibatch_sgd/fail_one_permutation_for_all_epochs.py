"""Shuffles once, before the epochs."""
CAUGHT_BY = ("test_minibatch_reshuffles_every_epoch",)

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    losses = []
    perm = torch.randperm(len(x), generator=generator, device=x.device)
    for _ in range(epochs):
        for idx in perm.split(bs):
            losses.append(update(x[idx], y[idx], a, lr).item())
    return losses
