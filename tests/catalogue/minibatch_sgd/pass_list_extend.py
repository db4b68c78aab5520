"""Collects one epoch's losses, then extends."""

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    all_losses = []
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=generator, device=x.device)
        epoch_losses = [update(x[idx], y[idx], a, lr).item() for idx in perm.split(bs)]
        all_losses.extend(epoch_losses)
    return all_losses
