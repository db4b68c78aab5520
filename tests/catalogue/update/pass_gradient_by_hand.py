"""The gradient 2/n x^T (x a - y) by hand; the loss keeps its graph."""

def update(x, y, a, lr):
    loss = mse(x @ a, y)
    with torch.no_grad():
        g = 2 * x.T @ (x @ a - y) / len(y)
        a -= lr * g
    return loss
