"""Pad the notebook with 200,000 one-letter markdown cells (20 MiB, under intake's 32 MiB limit).

Markdown cells never reach the worker, so the submission's budget does not see them; but the main process
runs nbgrader's Autograde on the notebook (sanitize, SealedOutputs, SaveAutoGrades, write, then
_hide_hidden_tests reads and writes it again), one student at a time, with no time limit. Outcome at
14b7a1a: full marks, and this one submission's "gradebook write" took 209 s (honest ones: 0.7 s), during
which no other student's result was recorded; a dozen such notebooks hold a batch for an hour.
PAD_MARKDOWN_CELLS is the number of markdown cells appended to the notebook (test_sealed pads
them). The batch must not pay more than a bounded time for one submission.
Now: a notebook of more than intake.MAX_CELLS (2000) cells is not graded: 0, saying why, and nbgrader's
converter never runs on it.
"""
TARGET, EXPECT, PROBLEM = "mse", {"mse": 0, "update": 0, "minibatch_sgd": 0, "cross_entropy": 0}, "cells, over the limit"
PAD_MARKDOWN_CELLS = 200_000


def mse(y_hat, y):
    return ((y_hat - y) ** 2).mean()
