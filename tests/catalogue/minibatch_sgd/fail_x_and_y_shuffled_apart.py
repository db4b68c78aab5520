"""Different permutations for x and y."""
CAUGHT_BY = (
    "test_minibatch_uses_every_row_once_per_epoch_x_and_y_together",
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
