"""Find the worker's socket to the grader (fstat over the fds) and write bytes that are not msgpack."""
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
    _write_to_sockets(b"\x00\x00\x00\x05\xc1\xc1\xc1\xc1\xc1")
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a -= lr * a.grad
    a.grad.zero_()
    return loss
