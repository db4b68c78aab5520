"""F.cross_entropy run in a second thread, inside a custom autograd.Function, named by a reversed string.

The op tracer is a TorchDispatchMode, and dispatch modes are thread-local: ops run in a new thread are not
seen. The result comes out of a custom autograd.Function (its node is `_LossBackward`, not one of the
forbidden nodes graph_ops looks for), whose backward computes the builtin's own gradient, again in a
thread. The builtin is fetched as F.__dict__[reversed name]: the static scan sees no forbidden name, no
blinding name and nothing suspicious. Nothing of the grader is touched. Outcome at 1ff36cf: 4/4, no
manual grading, no problem reported. cross_entropy must score 0 (or go to manual grading).
"""
TARGET, EXPECT = "cross_entropy", {"cross_entropy": 0}
import threading

import torch
import torch.nn.functional as F

_builtin = F.__dict__["yportne_ssorc"[::-1]]


def _elsewhere(fn, *args):
    out = []
    thread = threading.Thread(target=lambda: out.append(fn(*args)))
    thread.start()
    thread.join()
    return out[0]


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
