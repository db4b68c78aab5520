"""Builds its mask on the CPU."""
CAUGHT_BY = ("any device",)

def cross_entropy(logits, target):
    log_probs = logits - logits.logsumexp(1, keepdim=True)
    mask = torch.zeros(logits.shape).scatter_(1, target[:, None], 1.0)
    return -(mask * log_probs).sum(1).mean()
