"""Without a generator, makes a fresh unseeded one: its default seed is fixed, so every call draws the same."""
CAUGHT_BY = ("test_minibatch_honours_the_generator",)

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    generator = generator or torch.Generator(device=x.device)
    losses = []
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=generator, device=x.device)
        for idx in perm.split(bs):
            losses.append(update(x[idx], y[idx], a, lr).item())
    return losses
