"""Row maximum taken out by hand."""

def cross_entropy(logits, target):
    m = logits.max(dim=1, keepdim=True).values
    log_probs = logits - m - (logits - m).exp().sum(dim=1, keepdim=True).log()
    return -log_probs.gather(1, target.unsqueeze(1)).mean()
