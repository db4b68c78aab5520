"""cross_entropy calls the forbidden built-in (through log_softmax)."""

import torch.nn.functional as F


def cross_entropy(logits, target):
    return -F.log_softmax(logits, dim=1).gather(1, target[:, None]).mean()
