"""minibatch_sgd drops the last, smaller batch of each epoch."""


def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    losses = []
    n = x.shape[0]
    for epoch in range(epochs):
        perm = torch.randperm(n, generator=generator, device=x.device)
        for i in range(n // bs):
            idx = perm[i * bs:(i + 1) * bs]
            losses.append(update(x[idx], y[idx], a, lr).item())
    return losses
