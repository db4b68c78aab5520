"""F.one_hot times log-probabilities."""

import torch.nn.functional as F


def cross_entropy(logits, target):
    log_probs = logits - logits.logsumexp(1, keepdim=True)
    return -(F.one_hot(target, logits.shape[1]) * log_probs).sum(1).mean()
