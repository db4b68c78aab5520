"""Pop whatever dispatch mode traces the call, then call F.cross_entropy unseen."""
TARGET, EXPECT = "cross_entropy", {"cross_entropy": 0}
import torch
import torch.nn.functional as F


def cross_entropy(logits, target):
    try:
        torch._C._pop_torch_dispatch_mode()
    except Exception:
        pass
    return F.cross_entropy(logits, target)
