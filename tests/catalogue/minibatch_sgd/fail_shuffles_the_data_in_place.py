"""Shuffles x and y themselves."""
CAUGHT_BY = (
    "test_minibatch_honours_the_generator",
    "test_minibatch_leaves_x_and_y_unchanged",
)

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    losses = []
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=generator, device=x.device)
        x[:] = x[perm]
        y[:] = y[perm]
        for i in range(0, len(x), bs):
            losses.append(update(x[i:i + bs], y[i:i + bs], a, lr).item())
    return losses
