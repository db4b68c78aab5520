"""One mean loss per epoch."""
CAUGHT_BY = ("test_minibatch_returns_every_batch_loss_as_a_float",)

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    losses = []
    for _ in range(epochs):
        batch = [update(x[idx], y[idx], a, lr).item()
                 for idx in torch.randperm(len(x), generator=generator, device=x.device).split(bs)]
        losses.append(sum(batch) / len(batch))
    return losses
