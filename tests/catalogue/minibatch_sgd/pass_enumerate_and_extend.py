"""enumerate over the batches, losses gathered per epoch."""

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    history = []
    for epoch in range(epochs):
        order = torch.randperm(y.shape[0], generator=generator, device=y.device)
        epoch_losses = []
        for _, rows in enumerate(torch.split(order, bs)):
            epoch_losses.append(update(x[rows], y[rows], a, lr).item())
        history.extend(epoch_losses)
    return history
