"""perm.view(-1, bs): works only when bs divides n."""
CAUGHT_BY = (
    "test_minibatch_batches_have_size_bs_and_a_smaller_last_one",
    "test_minibatch_batches_of_x_and_y_come_from_the_same_rows",
    "test_minibatch_uses_every_row_once_per_epoch",
    "test_minibatch_honours_the_generator",
    "test_minibatch_returns_every_batch_loss_as_a_float",
    "test_minibatch_passes_a_and_lr_to_update",
    "test_minibatch_leaves_x_and_y_unchanged",
)

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    losses = []
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=generator, device=x.device)
        for idx in perm.view(-1, bs):
            losses.append(update(x[idx], y[idx], a, lr).item())
    return losses
