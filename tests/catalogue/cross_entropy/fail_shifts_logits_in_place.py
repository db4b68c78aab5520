"""logits -= max, in place on the input."""
CAUGHT_BY = ("test_cross_entropy_leaves_inputs_unchanged",)

def cross_entropy(logits, target):
    with torch.no_grad():
        logits -= logits.max(1, keepdim=True).values
    return (logits.exp().sum(1).log() - logits.gather(1, target[:, None]).squeeze(1)).mean()
