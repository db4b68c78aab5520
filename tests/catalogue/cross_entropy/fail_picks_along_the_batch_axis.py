"""gather along dim 0."""
CAUGHT_BY = (
    "test_cross_entropy_value_matches_f_cross_entropy",
    "test_cross_entropy_is_stable_for_huge_logits",
    "test_cross_entropy_gradient_matches_f_cross_entropy",
)

def cross_entropy(logits, target):
    return (logits.logsumexp(1) - logits.gather(0, target[:, None]).squeeze(1)).mean()
