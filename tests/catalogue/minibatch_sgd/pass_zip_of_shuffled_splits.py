"""Shuffles copies of x and y, then zips their splits."""

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    losses = []
    for _ in range(epochs):
        perm = torch.randperm(x.shape[0], generator=generator, device=x.device)
        for xb, yb in zip(x[perm].split(bs), y[perm].split(bs)):
            losses.append(update(xb, yb, a, lr).item())
    return losses
