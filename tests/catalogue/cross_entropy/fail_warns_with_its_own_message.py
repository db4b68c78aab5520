"""Right, but warns about large logits with warnings.warn (stderr in a grade cell)."""
CAUGHT_BY = (
    "test_cross_entropy_is_stable_for_huge_logits",
)

import warnings

def cross_entropy(logits, target):
    if logits.abs().max() > 100:
        warnings.warn("large logits", stacklevel=2)
    return (logits.logsumexp(1) - logits.gather(1, target[:, None]).squeeze(1)).mean()
