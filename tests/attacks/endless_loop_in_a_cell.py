"""The cross_entropy cell never finishes (a correct function is defined first)."""
TARGET, EXPECT = "cross_entropy", {"cross_entropy": 0}


def cross_entropy(logits, target):
    return (logits.logsumexp(1) - logits.gather(1, target[:, None]).squeeze(1)).mean()


while True:
    pass
