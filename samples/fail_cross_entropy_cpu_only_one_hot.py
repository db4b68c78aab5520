"""cross_entropy builds its one-hot mask on the CPU: right there, broken on any other device."""
CAUGHT_BY = ("any device",)


def cross_entropy(logits, target):
    m = logits.max(dim=1, keepdim=True).values
    log_probs = logits - m - (logits - m).exp().sum(dim=1, keepdim=True).log()
    one_hot = torch.zeros(logits.shape).scatter_(1, target[:, None], 1.0)
    return -(one_hot * log_probs).sum(dim=1).mean()
