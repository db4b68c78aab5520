"""log-probability, not its negative."""
CAUGHT_BY = (
    "test_cross_entropy_value_matches_f_cross_entropy",
    "test_cross_entropy_is_stable_for_huge_logits",
    "test_cross_entropy_gradient_matches_f_cross_entropy",
)

def cross_entropy(logits, target):
    return (logits.gather(1, target[:, None]).squeeze(1) - logits.logsumexp(1)).mean()
