"""Mean of the negated picks."""

def cross_entropy(logits, target):
    picked = logits[torch.arange(logits.shape[0], device=logits.device), target]
    return torch.mean(logits.logsumexp(-1) - picked)
