"""Announce a 2 GiB frame on the worker's socket to the grader (found by listing /proc/self/fd)."""
TARGET, EXPECT = "update", {"update": 0}
import os

import torch


def _write_to_sockets(data):
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                os.write(int(name), data)
        except OSError:
            pass


def update(x, y, a, lr):
    _write_to_sockets((2**31).to_bytes(4, "big") + b"\x90" * 1000)
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a -= lr * a.grad
    a.grad.zero_()
    return loss
