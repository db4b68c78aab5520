"""update kills its own process (os._exit) when a check calls it."""
TARGET, EXPECT = "update", {"update": 0}
import os


def update(x, y, a, lr):
    os._exit(0)
