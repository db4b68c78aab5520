"""Ignores epochs."""
CAUGHT_BY = (
    "test_minibatch_batches_have_size_bs_and_a_smaller_last_one",
    "test_minibatch_uses_every_row_once_per_epoch",
    "test_minibatch_reshuffles_every_epoch",
    "test_minibatch_sgd_reaches_the_least_squares_fit",
)

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    perm = torch.randperm(len(x), generator=generator, device=x.device)
    return [update(x[idx], y[idx], a, lr).item() for idx in perm.split(bs)]
