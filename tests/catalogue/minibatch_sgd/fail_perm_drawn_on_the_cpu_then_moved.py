"""randperm(n, generator=generator).to(x.device): drawn on the CPU first, which a CUDA generator refuses."""
CAUGHT_BY = (
    "any device",
)

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    losses = []
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=generator).to(x.device)
        for i in range(0, len(x), bs):
            idx = perm[i:i + bs]
            losses.append(update(x[idx], y[idx], a, lr).item())
    return losses
