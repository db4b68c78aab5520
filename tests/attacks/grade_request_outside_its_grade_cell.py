"""Ask for cross_entropy's grade from the mse cell, before cross_entropy exists (a 0 cached for later?)."""
TARGET, EXPECT, MANUAL, PROBLEM = "mse", {}, ["mse"], "outside its grade cell"
import sys


def mse(y_hat, y):
    return ((y_hat - y) ** 2).mean()


try:
    sys.modules["grader.hidden"].award("cross_entropy")
except Exception:
    pass
