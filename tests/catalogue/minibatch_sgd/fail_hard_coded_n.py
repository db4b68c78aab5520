"""randperm(100), the lesson's n."""
CAUGHT_BY = "test_minibatch_uses_every_row_once_per_epoch_x_and_y_together"

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    losses = []
    for _ in range(epochs):
        for idx in torch.randperm(100, generator=generator, device=x.device).split(bs):
            losses.append(update(x[idx], y[idx], a, lr).item())
    return losses
