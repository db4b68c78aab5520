"""Call F.cross_entropy with every dispatch mode switched off (the op tracer lives in the student's process)."""
TARGET, EXPECT = "cross_entropy", {"cross_entropy": 0}
import torch.nn.functional as F
from torch.utils._python_dispatch import _disable_current_modes


def cross_entropy(logits, target):
    with _disable_current_modes():
        loss = F.cross_entropy(logits.detach(), target)
    # a graph of plain tensor ops with the right value, so the gradient check sees ordinary nodes
    return loss + 0 * logits.sum()
