"""torch.softmax(...).log(): log(0) for huge logits."""
CAUGHT_BY = (
    "test_cross_entropy_is_stable_for_huge_logits",
)

def cross_entropy(logits, target):
    return -torch.softmax(logits, 1).log().gather(1, target[:, None]).mean()
