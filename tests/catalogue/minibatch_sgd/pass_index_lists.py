"""Python lists of indices."""

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    losses = []
    for _ in range(epochs):
        order = torch.randperm(len(y), generator=generator, device=x.device).tolist()
        for i in range(0, len(order), bs):
            rows = order[i:i + bs]
            losses.append(update(x[rows], y[rows], a, lr).item())
    return losses
