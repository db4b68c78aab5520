"""cross_entropy takes exp() of the raw logits: right for small ones, inf/nan for logits near 1e4."""
CAUGHT_BY = (
    "test_cross_entropy_is_stable_for_huge_logits",
)


def cross_entropy(logits, target):
    probs = logits.exp() / logits.exp().sum(dim=1, keepdim=True)
    return -probs[torch.arange(len(target)), target].log().mean()
