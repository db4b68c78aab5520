"""Reseeds the generator every epoch: every epoch has the same order."""
CAUGHT_BY = (
    "test_minibatch_reshuffles_every_epoch",
    "test_minibatch_honours_the_generator",
)

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    losses = []
    for _ in range(epochs):
        if generator is not None:
            generator.manual_seed(0)
        perm = torch.randperm(len(x), generator=generator, device=x.device)
        for idx in perm.split(bs):
            losses.append(update(x[idx], y[idx], a, lr).item())
    return losses
