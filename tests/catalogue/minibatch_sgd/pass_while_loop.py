"""A while loop over the permutation."""

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    losses = []
    for _ in range(epochs):
        perm = torch.randperm(x.size(0), device=x.device, generator=generator)
        i = 0
        while i < len(perm):
            idx = perm[i:i + bs]
            losses.append(update(x[idx], y[idx], a, lr).detach().item())
            i += bs
    return losses
