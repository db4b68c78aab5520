"""Drops the smaller last batch."""
CAUGHT_BY = (
    "test_minibatch_batches_have_size_bs_and_a_smaller_last_one",
    "test_minibatch_uses_every_row_once_per_epoch",
)

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    losses = []
    n = len(x)
    for _ in range(epochs):
        perm = torch.randperm(n, generator=generator, device=x.device)
        for i in range(n // bs):
            idx = perm[i * bs:(i + 1) * bs]
            losses.append(update(x[idx], y[idx], a, lr).item())
    return losses
