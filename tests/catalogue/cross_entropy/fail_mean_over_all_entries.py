"""Averages over n*k entries."""
CAUGHT_BY = (
    "test_cross_entropy_value_matches_f_cross_entropy",
    "test_cross_entropy_is_stable_for_huge_logits",
    "test_cross_entropy_gradient_matches_f_cross_entropy",
)

def cross_entropy(logits, target):
    log_probs = logits - logits.logsumexp(1, keepdim=True)
    mask = torch.zeros_like(logits).scatter_(1, target[:, None], 1.0)
    return -(mask * log_probs).mean()
