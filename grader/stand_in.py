"""A recording stand-in for `update` that runs beside the student's code: calls recorded there, sent back in one reply.

The minibatch checks hand minibatch_sgd a recording `update` (grader/checks/support.py). Where it takes no
step, it needs nothing of the grader's: a sealed worker plays it locally (a `Recorded`), so the checks pay
no round trip of its own (the calls come back with the reply to the minibatch_sgd call that made them) instead
of one per batch, and the checks replay the recorded calls into their recorder. Both give the student's code the
same losses (`placeholder_loss`).
"""

import torch

MAX_CALLS = 10_000  # the checks' largest run makes 33 calls; a runaway loop stops here


def placeholder_loss(call_number: int) -> torch.Tensor:
    """The loss handed back for the call_number-th call (1, 2, ...): distinct per call, on the CPU, with a graph
    (as update's loss has one: float() of it warns, as with the student's own update). -> 0-dim float64."""
    return torch.tensor(0.5 + call_number, dtype=torch.float64, requires_grad=True) * 1.0


class Recorded:
    """The stand-in, in the worker, with the recorder's signature: each call's arguments as they were at the call
    (a tensor that carries a graph, like the Parameter `a`, by reference: the checks tell whether it is theirs)."""

    def __init__(self):
        self.count = 0  # calls so far
        self.calls: list[list] = []  # [x, y, a, lr] per call not yet taken

    def __call__(self, x, y, a, lr):
        if self.count >= MAX_CALLS:
            raise RuntimeError(f"update was called more than {MAX_CALLS} times in one minibatch_sgd call")
        self.count += 1
        self.calls.append([_as_it_was(value) for value in (x, y, a, lr)])
        return placeholder_loss(self.count)

    def take(self) -> list[list]:
        """The calls recorded since the last take, oldest first."""
        calls, self.calls = self.calls, []
        return calls


def _as_it_was(value):
    if isinstance(value, torch.Tensor) and not value.requires_grad:
        return value.detach() if value.device.type == "meta" else value.detach().clone()
    return value
