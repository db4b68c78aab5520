"""torch.tensor_split into ceil(n / bs) parts: near-equal batches, not batches of bs."""
CAUGHT_BY = (
    "test_minibatch_batches_have_size_bs_and_a_smaller_last_one",
)

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    losses = []
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=generator, device=x.device)
        for idx in torch.tensor_split(perm, math.ceil(len(x) / bs)):
            losses.append(update(x[idx], y[idx], a, lr).item())
    return losses
