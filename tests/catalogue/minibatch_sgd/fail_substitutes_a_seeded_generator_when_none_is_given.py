"""Without a generator, uses one seeded with 42: every call draws the same batches, whatever torch.manual_seed says."""
CAUGHT_BY = ("test_minibatch_honours_the_generator",)

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    if generator is None:
        generator = torch.Generator(device=x.device).manual_seed(42)
    losses = []
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=generator, device=x.device)
        for idx in perm.split(bs):
            losses.append(update(x[idx], y[idx], a, lr).item())
    return losses
