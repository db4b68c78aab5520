"""range(0, n - bs, bs): the last batch (or the only one) is never used."""
CAUGHT_BY = (
    "test_minibatch_batches_have_size_bs_and_a_smaller_last_one",
    "test_minibatch_uses_every_row_once_per_epoch",
    "test_minibatch_returns_every_batch_loss_as_a_float",
)

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    n = len(x)
    losses = []
    for _ in range(epochs):
        perm = torch.randperm(n, generator=generator, device=x.device)
        for i in range(0, n - bs, bs):
            idx = perm[i:i + bs]
            losses.append(update(x[idx], y[idx], a, lr).item())
    return losses
