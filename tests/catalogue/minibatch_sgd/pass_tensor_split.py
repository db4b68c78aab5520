"""torch.tensor_split at multiples of bs."""

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    n = len(x)
    losses = []
    for _ in range(epochs):
        perm = torch.randperm(n, generator=generator, device=x.device)
        for idx in torch.tensor_split(perm, list(range(bs, n, bs))):
            losses.append(update(x[idx], y[idx], a, lr).item())
    return losses
