"""Slices of the permutation."""

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    n = x.shape[0]
    losses = []
    for epoch in range(epochs):
        perm = torch.randperm(n, generator=generator, device=x.device)
        for start in range(0, n, bs):
            idx = perm[start:start + bs]
            losses.append(update(x[idx], y[idx], a, lr).item())
    return losses
