"""Stay just under the per-call limit on every call: without a submission budget, one notebook takes an hour."""
TARGET = "update"
# the budget runs out in update's checks; minibatch_sgd, which calls update, is checked after it (a second run,
# since update finds mse through globals()), so it scores 0 too; mse and cross_entropy are checked in time
EXPECT = {"update": 0, "minibatch_sgd": 0}
PROBLEM = "grading budget"
import time

import torch


def update(x, y, a, lr):
    if type(globals().get("mse")).__name__ == "Callback":  # only while a check calls (the cells stay quick)
        time.sleep(1.0)  # well under the 3 s call limit of the test course; 61 calls are over its budget
    loss = mse(x @ a, y)
    loss.backward()
    with torch.no_grad():
        a -= lr * a.grad
    a.grad.zero_()
    return loss
