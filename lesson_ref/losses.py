"""The two losses of the lesson: mean squared error and cross-entropy."""

import torch


def mse(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean of squared differences. y_hat, y: (n,) -> 0-dim."""
    return ((y_hat - y) ** 2).mean()


def cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean of -log softmax(logits)[i, target[i]]. logits: (n, k), target: (n,) int64 -> 0-dim."""
    # log-sum-exp with the row maximum taken out, so exp() never overflows
    m = logits.max(dim=1, keepdim=True).values.detach()
    log_z = m.squeeze(1) + (logits - m).exp().sum(dim=1).log()
    picked = logits.gather(1, target.unsqueeze(1)).squeeze(1)
    return (log_z - picked).mean()
