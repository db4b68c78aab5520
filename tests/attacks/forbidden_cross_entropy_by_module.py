"""Use nn.CrossEntropyLoss, kept in a closure."""
TARGET, EXPECT = "cross_entropy", {"cross_entropy": 0}
import torch

_loss = torch.nn.CrossEntropyLoss()


def cross_entropy(logits, target):
    return _loss(logits, target)
