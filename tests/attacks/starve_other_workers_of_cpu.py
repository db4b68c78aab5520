"""Start every thread a worker may have, each in a GIL-free torch loop, and take the machine's cores.

A worker is limited in CPU seconds (120) and threads (64), not in its share of the machine: 62 busy
threads leave a concurrent honest worker, and the grading process talking to it, about 1/30 of a core.
Outcome at 14b7a1a (2 cores, --jobs 2): the honest submission graded beside it took 39 s instead of ~3 s
with the default limits, and with tests/test_sealed.py's limits (call_timeout 3) it lost minibatch_sgd
(0/6, "ran longer than 3 s in one call").
At 7d1caff, with 1024x1024 matmuls: the two honest submissions beside it took 19 s and 42 s of their 60 s
budget (about 4 s alone). The attacker's own functions are correct; what must hold is that
every other student keeps the grade of its functions.
"""
TARGET, EXPECT = "mse", {}
import threading

import torch


def _burn():  # long matmuls: the GIL is held only between them, so the worker's own cells still run
    a, b, c = torch.randn(1024, 1024), torch.randn(1024, 1024), torch.empty(1024, 1024)
    while True:
        torch.mm(a, b, out=c)


for _ in range(62):
    try:
        threading.Thread(target=_burn, daemon=True).start()
    except RuntimeError:
        break


def mse(y_hat, y):
    return ((y_hat - y) ** 2).mean()
