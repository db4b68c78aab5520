"""While a check calls update, keep the call alive with well-formed requests (cell starts, grade requests)."""
TARGET, EXPECT, PROBLEM = "update", {"update": 0}, "out of turn during the checks of update"
import os
import stat
import time

import msgpack
import torch


def _ping_for(seconds):
    socks = []
    for fd in range(3, 256):
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                socks.append(fd)
        except OSError:
            pass
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        i += 1
        for ping in ({"op": "cell_start", "index": 0, "id": i}, {"op": "grade", "function": "update", "id": i}):
            body = msgpack.packb(ping)
            for fd in socks:
                try:
                    os.write(fd, len(body).to_bytes(4, "big") + body)
                except OSError:
                    pass
        time.sleep(0.05)


def update(x, y, a, lr):
    if type(globals().get("mse")).__name__ == "Callback":  # the grader's mse is patched in: a check is running
        _ping_for(120)
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a -= lr * a.grad
    a.grad.zero_()
    return loss
