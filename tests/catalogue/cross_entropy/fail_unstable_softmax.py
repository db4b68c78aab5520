"""exp() of raw logits."""
CAUGHT_BY = (
    "test_cross_entropy_is_stable_for_huge_logits",
)

def cross_entropy(logits, target):
    probs = logits.exp() / logits.exp().sum(1, keepdim=True)
    return -probs.gather(1, target[:, None]).log().mean()
