"""The forbidden built-in."""
CAUGHT_BY = ("test_cross_entropy_is_written_from_tensor_operations",)

import torch.nn.functional as F


def cross_entropy(logits, target):
    return F.cross_entropy(logits, target)
