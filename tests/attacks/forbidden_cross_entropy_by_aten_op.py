"""Call the aten log_softmax op directly (torch.ops.aten), not through torch.nn.functional."""
TARGET, EXPECT = "cross_entropy", {"cross_entropy": 0}
import torch


def cross_entropy(logits, target):
    log_probs = torch.ops.aten._log_softmax(logits, 1, False)
    return -log_probs.gather(1, target[:, None]).mean()
