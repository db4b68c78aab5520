"""device="cpu" written out: the permutation is drawn on the CPU whatever the data's device."""
CAUGHT_BY = (
    "any device",
)

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    losses = []
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=generator, device="cpu")
        for idx in perm.split(bs):
            losses.append(update(x[idx], y[idx], a, lr).item())
    return losses
