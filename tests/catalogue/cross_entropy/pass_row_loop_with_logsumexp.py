"""A loop over the rows, torch.logsumexp per row, stacked."""

def cross_entropy(logits, target):
    terms = [torch.logsumexp(logits[i], dim=0) - logits[i, target[i]] for i in range(logits.shape[0])]
    return torch.stack(terms).mean()
