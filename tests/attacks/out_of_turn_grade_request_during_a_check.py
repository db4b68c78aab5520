"""Inside update (while its checks run, the reference mse patched in), ask the grader for mse's grade."""
TARGET, EXPECT, PROBLEM = "update", {"update": 0}, "out of turn during the checks of update"
import sys

import torch


def update(x, y, a, lr):
    try:
        sys.modules["grader.hidden"].award("mse")
    except Exception:
        pass
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a -= lr * a.grad
    a.grad.zero_()
    return loss
