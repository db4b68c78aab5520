"""nll_loss on hand-made log-probabilities."""
CAUGHT_BY = ("test_cross_entropy_is_written_from_tensor_operations",)

import torch.nn.functional as F


def cross_entropy(logits, target):
    return F.nll_loss(logits - logits.logsumexp(1, keepdim=True), target)
