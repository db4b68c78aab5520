"""Returns loss.item(), a float without a graph."""
CAUGHT_BY = (
    "test_update_returns_the_loss_before_the_step_with_its_graph",
)

def update(x, y, a, lr):
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a -= lr * a.grad
        a.grad.zero_()
    return loss.item()
