"""minibatch_sgd takes the rows in their original order every epoch."""
CAUGHT_BY = (
    "test_minibatch_reshuffles_every_epoch",
    "test_minibatch_honours_the_generator",
)


def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    losses = []
    for epoch in range(epochs):
        for i in range(0, len(x), bs):
            losses.append(update(x[i:i + bs], y[i:i + bs], a, lr).item())
    return losses
