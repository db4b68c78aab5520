"""Without a generator, seeds torch's global generator with 0 itself."""
CAUGHT_BY = ("test_minibatch_honours_the_generator",)

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    if generator is None:
        torch.manual_seed(0)
    losses = []
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=generator, device=x.device)
        for idx in perm.split(bs):
            losses.append(update(x[idx], y[idx], a, lr).item())
    return losses
