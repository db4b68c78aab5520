"""index_select with a slice end clipped by min()."""

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    n = x.size(0)
    losses = []
    for _ in range(epochs):
        perm = torch.randperm(n, generator=generator, device=x.device)
        for start in range(0, n, bs):
            idx = perm[start:min(start + bs, n)]
            loss = update(x.index_select(0, idx), y.index_select(0, idx), a, lr)
            losses.append(loss.item())
    return losses
