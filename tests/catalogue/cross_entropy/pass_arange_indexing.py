"""log_probs[arange(n), target]."""

def cross_entropy(logits, target):
    log_probs = logits - logits.logsumexp(dim=1, keepdim=True)
    return -log_probs[torch.arange(len(target), device=logits.device), target].mean()
