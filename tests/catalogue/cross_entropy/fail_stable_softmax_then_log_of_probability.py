"""A shifted softmax, then log of the picked probability: it underflows to log(0) for huge logits."""
CAUGHT_BY = (
    "test_cross_entropy_is_stable_for_huge_logits",
)

def cross_entropy(logits, target):
    p = (logits - logits.amax(dim=1, keepdim=True)).exp()
    p = p / p.sum(dim=1, keepdim=True)
    return -p[torch.arange(len(target), device=logits.device), target].log().mean()
