"""Draws each batch with torch.randint: rows repeat and others are never used."""
CAUGHT_BY = (
    "test_minibatch_uses_every_row_once_per_epoch",
)

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    n = len(x)
    losses = []
    for _ in range(epochs):
        for i in range(0, n, bs):
            idx = torch.randint(0, n, (min(bs, n - i),), generator=generator, device=x.device)
            losses.append(update(x[idx], y[idx], a, lr).item())
    return losses
