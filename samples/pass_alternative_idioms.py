"""Correct, written the other common ways."""

import torch.nn.functional as F


def mse(y_hat, y):
    return F.mse_loss(y_hat, y)


def update(x, y, a, lr):
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a -= lr * a.grad
    a.grad = None
    return loss


def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    n = len(x)
    losses = []
    for _ in range(epochs):
        perm = torch.randperm(n, generator=generator, device=x.device)
        for i in range(0, n, bs):
            idx = perm[i:i + bs]
            losses.append(update(x[idx], y[idx], a, lr).item())
    return losses


def cross_entropy(logits, target):
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    return -log_probs[torch.arange(len(target), device=logits.device), target].mean()
