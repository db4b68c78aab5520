"""Different permutations for x and y."""
CAUGHT_BY = (
    "test_minibatch_batches_of_x_and_y_come_from_the_same_rows",
    "test_minibatch_sgd_reaches_the_least_squares_fit",
)

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    losses = []
    n = len(x)
    for _ in range(epochs):
        px = torch.randperm(n, generator=generator, device=x.device)
        py = torch.randperm(n, generator=generator, device=x.device)
        for i in range(0, n, bs):
            losses.append(update(x[px[i:i + bs]], y[py[i:i + bs]], a, lr).item())
    return losses
