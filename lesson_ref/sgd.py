"""Gradient descent on the linear model y_hat = x@a: one full-batch step and minibatch SGD."""

import torch

from lesson_ref.losses import mse


def update(x: torch.Tensor, y: torch.Tensor, a: torch.nn.Parameter, lr: float) -> torch.Tensor:
    """One step a -= lr * grad mse(x@a, y) in place, a.grad zeroed. x: (n, d), y: (n,), a: (d,) -> 0-dim loss before."""
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a.sub_(lr * a.grad)
        a.grad.zero_()
    return loss


def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None) -> list[float]:
    """`update` on batches of a fresh permutation each epoch. x: (n, d), y: (n,) -> epochs * ceil(n/bs) losses."""
    losses = []
    for _ in range(epochs):
        perm = torch.randperm(x.shape[0], generator=generator, device=x.device)
        for idx in perm.split(bs):
            losses.append(update(x[idx], y[idx], a, lr).item())
    return losses
