"""Fills the last batch up to bs with rows from the start of the permutation."""
CAUGHT_BY = (
    "test_minibatch_batches_have_size_bs_and_a_smaller_last_one",
    "test_minibatch_uses_every_row_once_per_epoch",
)

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    n = len(x)
    losses = []
    for _ in range(epochs):
        perm = torch.randperm(n, generator=generator, device=x.device)
        for i in range(0, n, bs):
            idx = perm[torch.arange(i, i + bs, device=x.device) % n]
            losses.append(update(x[idx], y[idx], a, lr).item())
    return losses
