"""What a sandboxed worker can and cannot do, probed from inside it, and what the wire refuses."""

import json
import socket
import struct
import threading
import time

import pytest
import torch

from grader.course import ROOT
from grader.sealed.sandbox import Limits
from grader.sealed.spawn import Worker, Zygote
from grader.sealed.wire import HEADER, Peer, PeerGone, recv_frame, send_frame

DENIED = {  # probe name -> a cell that must raise inside the worker
    "read_the_reference": f"open({str(ROOT / 'lesson_ref' / 'losses.py')!r}).read()",
    "read_the_hidden_checks": f"open({str(ROOT / 'grader' / 'checks' / 'test_mse.py')!r}).read()",
    "read_the_source_notebook": f"open({str(ROOT / 'source' / 'lesson2_sgd' / 'lesson2_sgd.ipynb')!r}).read()",
    "list_the_course_folder": f"import os; os.listdir({str(ROOT)!r})",
    "write_the_gradebook": f"open({str(ROOT / 'gradebook.db')!r}, 'ab').write(b'x')",
    "write_outside_its_folder": "open('/tmp/escaped.txt', 'w').write('x')",
    "import_the_reference": "import lesson_ref.losses",
    "import_the_hidden_checks": "import grader.checks.test_mse",
    "fork": "import os; os.fork()",
    "run_a_program": "import subprocess; subprocess.run(['true'])",
    "open_a_network_connection": "import socket; socket.create_connection(('127.0.0.1', 80), timeout=1)",
    "signal_its_parent": "import os; os.kill(os.getppid(), 0)",
    "signal_every_process": "import os; os.kill(-1, 0)",
    "allocate_past_its_memory_limit": "import torch; torch.ones(2**31)",
}


@pytest.fixture(scope="module")
def zygote():
    z = Zygote()
    yield z
    z.close()


def run_cells(zygote, cells, limits=None):
    worker = Worker(zygote.address, limits or Limits(memory_bytes=2**30))
    try:
        peer = Peer(worker.sock, side=1, resolve=None)
        peer.extra_handlers["cell_start"] = lambda message: None
        peer.deadline_after(30)
        ran = peer.request({"op": "run", "cells": list(enumerate(cells)), "skip": []})
        return [cell["events"] for cell in ran]
    finally:
        worker.kill()


@pytest.mark.parametrize("probe", sorted(DENIED))
def test_worker_is_denied(zygote, probe):
    """Is the sandboxed worker stopped from doing this?"""
    (events,) = run_cells(zygote, [DENIED[probe]])
    errors = [e for e in events if e[0] == "error"]
    assert errors and errors[0][1] in (
        "PermissionError",
        "ModuleNotFoundError",
        "ImportError",
        "RuntimeError",
        "MemoryError",
        "OSError",
    ), events


def test_worker_can_compute_plot_and_use_its_own_folder(zygote):
    """Can student code still train with torch, draw with matplotlib and write its own files?"""
    events = run_cells(
        zygote,
        [
            "import torch, matplotlib.pyplot as plt\na = torch.nn.Parameter(torch.ones(2))\n"
            "((torch.randn(50, 2) @ a) ** 2).mean().backward()\nplt.plot([1, 2]); plt.savefig('plot.png')\n"
            "open('notes.txt', 'w').write('ok')\nopen('notes.txt').read()",
        ],
    )
    assert events == [[["result", "'ok'"]]]


def test_worker_holds_no_reference_or_checks_in_memory(zygote):
    """Is nothing of lesson_ref or the hidden checks loaded in the worker's process?"""
    (events,) = run_cells(
        zygote,
        [
            "import sys\nsorted(m for m in sys.modules if m.startswith(('lesson_ref', "
            "'grader.checks', 'grader.runner', 'grader.hidden', 'pytest')))"
        ],
    )
    assert events == [["result", "['grader.hidden']"]]  # the worker's own stand-in for the hidden cells


def test_cell_output_is_capped(zygote):
    """Is a cell that prints 50 MB kept to a bounded size?"""
    (events,) = run_cells(zygote, ["for _ in range(50): print('x' * 2**20)"])
    assert 0 < sum(len(e[1]) for e in events) <= 64 * 1024


def pair():
    a, b = socket.socketpair()
    return a, b


def test_a_frame_with_lying_tensor_sizes_is_refused():
    """Does the reader refuse a tensor whose bytes do not match its shape?"""
    a, b = pair()
    header = json.dumps({"__blob__": 4, "dtype": "float64", "shape": [3], "device": "cpu"}).encode()
    a.sendall(HEADER.pack(len(header), 4) + header + b"\0" * 4)
    with pytest.raises(PeerGone, match="do not match"):
        recv_frame(b, time.monotonic() + 5)


def test_a_frame_with_an_unknown_dtype_or_too_large_is_refused():
    """Does the reader refuse dtypes outside its list, and frames over the size limit?"""
    a, b = pair()
    header = json.dumps({"__blob__": 0, "dtype": "__import__('os')", "shape": [0], "device": "cpu"}).encode()
    a.sendall(HEADER.pack(len(header), 0) + header)
    with pytest.raises(PeerGone):
        recv_frame(b, time.monotonic() + 5)
    a.sendall(struct.pack("!II", 2**31, 2**31))
    with pytest.raises(PeerGone, match="over the"):
        recv_frame(b, time.monotonic() + 5)


def test_calls_carry_values_effects_identity_and_gradients():
    """Across the wire: values, in-place effects, the same object on a callback, and backward."""
    grader_end, worker_end = pair()
    seen = {}

    def step(x, a):  # the worker's function: calls back with `a`, then steps it in place
        seen["same_a"] = callback(a) is None
        loss = (x @ a).square().mean()
        loss.backward()
        with torch.no_grad():
            a.sub_(0.1 * a.grad)
        return loss

    worker = Peer(worker_end, side=-1, resolve=lambda target: step)
    callback = None

    def serve():
        nonlocal callback
        message = recv_frame(worker_end, None)
        callback = worker.decode(message["args"], [])[0] if message["op"] == "patch" else None
        send_frame(worker_end, {"op": "return", "value": None})
        worker.serve_one(recv_frame(worker_end, None))

    thread = threading.Thread(target=serve)
    thread.start()
    grader = Peer(grader_end, side=1, resolve=None)
    grader.deadline_after(10)
    a = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    passed_back = []
    grader.request({"op": "patch", "args": grader.encode([lambda obj: passed_back.append(obj)], [])})
    x = torch.randn(5, 2)
    before = a.detach().clone()
    loss, _ = grader.call({"name": "step"}, (x, a))
    thread.join()
    expected_grad = torch.autograd.grad((x @ before.requires_grad_()).square().mean(), before)[0]
    assert passed_back == [a]  # the callback got the grader's own Parameter back
    assert torch.allclose(a.detach(), before.detach() - 0.1 * expected_grad)  # the in-place step came back
    assert torch.allclose(a.grad, expected_grad)
    assert loss.grad_fn is not None and torch.isclose(loss, (x @ before.detach()).square().mean())


def test_a_sandbox_that_cannot_be_set_up_runs_nothing_and_says_why(zygote):
    """Where the limits cannot be applied, does the worker refuse to start, with the reason?"""
    with pytest.raises(PeerGone, match="the sandbox could not be set up"):
        Worker(zygote.address, Limits(open_files=-5))  # an impossible limit makes confine() fail
