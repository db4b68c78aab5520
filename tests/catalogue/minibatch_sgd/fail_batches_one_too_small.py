"""Batches of bs - 1."""
CAUGHT_BY = (
    "test_minibatch_batches_have_size_bs_and_a_smaller_last_one",
    "test_minibatch_uses_every_row_once_per_epoch",
)

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    losses = []
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=generator, device=x.device).split(max(bs - 1, 1)):
            losses.append(update(x[idx], y[idx], a, lr).item())
    return losses
