"""cross_entropy calls the forbidden built-in (through log_softmax)."""
CAUGHT_BY = ("test_cross_entropy_is_written_from_tensor_operations",)

import torch.nn.functional as F


def cross_entropy(logits, target):
    return -F.log_softmax(logits, dim=1).gather(1, target[:, None]).mean()
