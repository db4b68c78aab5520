"""Passes lr / bs to update."""
CAUGHT_BY = (
    "test_minibatch_passes_a_and_lr_to_update",
    "test_minibatch_sgd_reaches_the_least_squares_fit",
)

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    losses = []
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=generator, device=x.device).split(bs):
            losses.append(update(x[idx], y[idx], a, lr / bs).item())
    return losses
