"""mse allocates memory until something breaks."""
TARGET, EXPECT = "mse", {"mse": 0}
import torch


def mse(y_hat, y):
    hoard = []
    while True:
        hoard.append(torch.ones(2**27))  # 512 MiB a step
