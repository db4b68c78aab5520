"""A cell prints 50 MB; mse itself is correct and keeps its points."""
TARGET, EXPECT = "mse", {}  # nothing lost
for _ in range(50):
    print("x" * 2**20)


def mse(y_hat, y):
    return ((y_hat - y) ** 2).mean()
