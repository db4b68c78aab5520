"""Shifts by the maximum of the whole batch, not of each row: rows far below it underflow."""
CAUGHT_BY = (
    "test_cross_entropy_is_stable_for_huge_logits",
)

def cross_entropy(logits, target):
    shifted = logits - logits.max()
    log_z = shifted.exp().sum(dim=1).log()
    picked = shifted.gather(1, target[:, None]).squeeze(1)
    return (log_z - picked).mean()
