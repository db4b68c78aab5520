"""Rows in their original order."""
CAUGHT_BY = (
    "test_minibatch_reshuffles_every_epoch",
    "test_minibatch_honours_the_generator",
)

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    losses = []
    for _ in range(epochs):
        for i in range(0, len(x), bs):
            losses.append(update(x[i:i + bs], y[i:i + bs], a, lr).item())
    return losses
