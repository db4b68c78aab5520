"""F.cross_entropy fetched by pickle, run in logging's QueueListener thread, inside a custom autograd.Function.

The scan now flags threading/_thread/concurrent/multiprocessing and folds reversed strings; but
pickle.loads(b"ctorch.nn.functional\ncross_entropy\n.") names the builtin only in a bytes literal, and
logging.handlers.QueueListener starts a thread of its own (the module imports threading, the cell does
not) that calls our handler's handle(). Dispatch modes are per thread, so the op tracer sees nothing; the
autograd node is `_LossBackward`. Outcome at c030e05: 4/4, the scan finds nothing, no manual
grading. cross_entropy must score 0 (or go to manual grading).
"""
TARGET, EXPECT = "cross_entropy", {"cross_entropy": 0}
import logging
import logging.handlers
import pickle
import queue

import torch

_builtin = pickle.loads(b"ctorch.nn.functional\ncross_entropy\n.")


class _Runner:
    level = 0

    def __init__(self, fn, args):
        self.fn, self.args, self.out = fn, args, None

    def handle(self, record):
        self.out = self.fn(*self.args)


def _elsewhere(fn, *args):
    runner = _Runner(fn, args)
    inbox = queue.Queue()
    listener = logging.handlers.QueueListener(inbox, runner)
    listener.start()
    inbox.put(logging.makeLogRecord({}))
    listener.stop()
    return runner.out


def _value(logits, target):
    return _builtin(logits.detach(), target)


def _gradient(logits, target):
    with torch.enable_grad():
        leaf = logits.detach().requires_grad_(True)
        return torch.autograd.grad(_builtin(leaf, target), leaf)[0]


class _Loss(torch.autograd.Function):
    @staticmethod
    def forward(ctx, logits, target):
        ctx.save_for_backward(logits, target)
        return _elsewhere(_value, logits, target)

    @staticmethod
    def backward(ctx, grad):
        logits, target = ctx.saved_tensors
        return _elsewhere(_gradient, logits, target) * grad, None


def cross_entropy(logits, target):
    return _Loss.apply(logits, target)
