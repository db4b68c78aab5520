"""float(loss) (torch warns once on stderr)."""

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    losses = []
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=generator, device=x.device).split(bs):
            losses.append(float(update(x[idx], y[idx], a, lr)))
    return losses
