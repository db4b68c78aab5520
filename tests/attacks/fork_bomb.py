"""update forks processes without end (and starts one from the cell)."""
TARGET, EXPECT = "update", {"update": 0}
import multiprocessing
import os

try:
    multiprocessing.Process(target=os.getpid).start()
except Exception:
    pass


def update(x, y, a, lr):
    while True:
        os.fork()
