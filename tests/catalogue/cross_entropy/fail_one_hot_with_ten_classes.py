"""one_hot(target, 10), cut to k columns: assumes at most ten classes."""
CAUGHT_BY = (
    "test_cross_entropy_value_matches_f_cross_entropy",
)

def cross_entropy(logits, target):
    mask = torch.nn.functional.one_hot(target, 10)[:, : logits.shape[1]].to(logits.dtype)
    return (logits.logsumexp(1) - (logits * mask).sum(1)).mean()
