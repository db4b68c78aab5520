"""Draws the permutation on the generator's device (the data's)."""

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    device = generator.device if generator is not None else x.device
    losses = []
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=generator, device=device)
        for idx in perm.split(bs):
            losses.append(update(x[idx], y[idx], a, lr).item())
    return losses
