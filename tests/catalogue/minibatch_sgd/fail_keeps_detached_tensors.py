"""Keeps loss.detach() tensors instead of floats."""
CAUGHT_BY = (
    "test_minibatch_returns_every_batch_loss_as_a_float",
)

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    losses = []
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=generator, device=x.device).split(bs):
            losses.append(update(x[idx], y[idx], a, lr).detach())
    return losses
