"""Draws the permutation on the CPU with the data's generator: on a GPU the generator refuses."""
CAUGHT_BY = (
    "any device",
)

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    losses = []
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=generator)
        for idx in perm.split(bs):
            losses.append(update(x[idx], y[idx], a, lr).item())
    return losses
