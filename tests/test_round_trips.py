"""What saves round trips between the grader and a worker, without changing what the student's code sees.

A forked child serves a real worker.Notebook (unconfined: the sandbox is tested in tests/test_sandbox.py).
Patches and their undoing ride on the grader's next request; a scalar result of a grader function comes
with its gradients, so the worker's `loss.backward()` asks for nothing.
"""

import os
import signal
import socket
import time
from pathlib import Path

import pytest
import torch
from processes import forked_notebook

from grader.sealed import peer
from grader.sealed.grader_end import GraderEnd
from grader.sealed.remote import SealedSubmission
from grader.submission import MissingFunction

# a correct update from the catalogue; minibatch_sgd here backpropagates an incoming gradient of 2 through mse
UPDATE = Path(__file__).parent / "catalogue" / "update" / "pass_minus_equals.py"
NOTEBOOK = (
    "import torch\n"
    + UPDATE.read_text()
    + """
def mse(y_hat, y):
    return 'the student mse'

def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):
    loss = mse(x @ a, y)
    (2 * loss).backward()  # the grader is asked for the gradients
    with torch.no_grad():
        a -= lr * a.grad
    return [loss.item()]

def which_mse():
    return mse(None, None) if callable(mse) else None
"""
)


def reference_mse(y_hat, y):
    return ((y_hat - y) ** 2).mean()


@pytest.fixture
def worker(monkeypatch):
    """(GraderEnd, SealedSubmission, sent ops, worker requests) for a forked worker whose notebook ran NOTEBOOK."""
    scope: dict = {}
    exec(NOTEBOOK, scope)
    ours, pid = forked_notebook(scope)
    sent: list[dict] = []
    send = peer.send_frame
    monkeypatch.setattr(
        peer, "send_frame", lambda sock, message, *rest: sent.append(message) or send(sock, message, *rest)
    )
    asked: list[str] = []
    end = GraderEnd(ours, budget_end=time.monotonic() + 60, call_timeout=30)
    handle = end.handle
    end.handle = lambda message: asked.append(message["op"]) or handle(message)
    end.start_check("update")
    yield end, SealedSubmission(end, 30, on_lost=lambda reason: None), sent, asked
    ours.close()
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def data():
    x, y = torch.randn(6, 2, dtype=torch.float64), torch.randn(6, dtype=torch.float64)
    return x, y, torch.nn.Parameter(torch.tensor([1.0, -1.0], dtype=torch.float64))


def stepped(x, y, a, lr, times=1.0):
    start = a.detach().clone().requires_grad_()
    (grad,) = torch.autograd.grad(reference_mse(x @ start, y), [start])
    return start.detach() - lr * times * grad


def test_a_patch_and_its_undoing_ride_on_the_calls_with_no_round_trip_of_their_own(worker):
    """Does a patched block send its patch with its first call and its undoing with the next request, nothing more?"""
    end, student, sent, asked = worker
    x, y, a = data()
    expected = stepped(x, y, a, 0.1)
    with student.patched("update", mse=reference_mse):
        student.update(x, y, a, 0.1)
    assert torch.allclose(a.detach(), expected)
    assert end.call({"name": "which_mse"})[0] == "the student mse"  # undone before this call ran
    ops = [message["op"] for message in sent if message["op"] not in ("return", "raise")]
    assert ops == ["call", "call"] and asked == ["call"]  # the worker called the grader's mse once
    assert [m["op"] for m in sent[0]["before"]] == ["patch"] and [m["op"] for m in sent[-1]["before"]] == ["unpatch"]


def test_a_patched_block_that_calls_nothing_sends_nothing(worker):
    """Does a patched block with no call in it leave the worker untouched, patch and undoing never sent?"""
    end, student, sent, _ = worker
    with student.patched("update", mse=reference_mse):
        pass
    assert end.call({"name": "which_mse"})[0] == "the student mse"
    assert [m for m in sent if "before" in m] == []


def test_a_patch_that_cannot_take_fails_the_call_it_rides_on_and_nothing_after(worker):
    """Does a patch of a function the notebook never defined fail the call it came with, and the next call work?"""
    end, student, _, _ = worker
    with pytest.raises(MissingFunction), student.patched("cross_entropy", mse=reference_mse):
        student.update(*data(), 0.1)
    assert end.call({"name": "which_mse"})[0] == "the student mse"


def test_backward_through_a_grader_loss_asks_nothing_more(worker):
    """Does the worker's loss.backward() through the grader's mse use the gradients that came with it?"""
    _, student, _, asked = worker
    x, y, a = data()
    expected, before = stepped(x, y, a, 0.1), reference_mse(x @ a.detach(), y)
    with student.patched("update", mse=reference_mse):
        loss = student.update(x, y, a, 0.1)
    assert asked == ["call"] and torch.allclose(a.detach(), expected) and torch.equal(a.grad, torch.zeros(2).double())
    assert torch.equal(loss.detach(), before)


def test_backward_with_another_incoming_gradient_asks_the_grader(worker):
    """Does a backward with an incoming gradient other than 1 still ask the grader, and step by that gradient?"""
    _, student, _, asked = worker
    x, y, a = data()
    expected = stepped(x, y, a, 0.1, times=2.0)
    with student.patched("minibatch_sgd", mse=reference_mse):
        student.minibatch_sgd(x, y, a, 0.1, 6, 1)
    assert asked == ["call", "backward"] and torch.allclose(a.detach(), expected)


def test_played_calls_for_a_patch_that_is_not_live_are_refused():
    """Is a worker's record of played calls for a patch the grader never made (or already undid) a bad frame?"""
    from grader.sealed.frames import BadFrame

    ours, theirs = socket.socketpair()
    end = GraderEnd(ours, budget_end=time.monotonic() + 60, call_timeout=5)
    with pytest.raises(BadFrame):
        end._replay([[99, {"update": []}]])
    ours.close()
    theirs.close()
