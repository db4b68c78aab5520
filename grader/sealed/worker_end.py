"""The worker's end of the connection: serves the grader's requests, each student call quietly and traced.

Every call of a student function runs through grader.submission.call_quietly (its stderr and warnings go
back as `noise`, for the grader's raise_if_noisy); a traced call also reports the aten ops it reached
and the autograd nodes its result was built from (a second view that a disabled tracer does not blind).
"""

import _thread
import os
import threading

from torch.utils._python_dispatch import _get_current_dispatch_mode_stack

from grader.devicesim import CudaLikeRandom
from grader.optrace import OpTracer
from grader.sealed.frames import DEFAULT_LIMITS, BadFrame, FrameLimits, PeerGone, recv_frame, send_frame
from grader.sealed.peer import Callback, Peer, Refused, _field, returning
from grader.submission import call_quietly

# autograd nodes that only the forbidden built-ins create -> the aten op the checks name
FORBIDDEN_NODES = {
    "LogSoftmaxBackward0": "_log_softmax",
    "NllLossBackward0": "nll_loss_forward",
    "NllLoss2DBackward0": "nll_loss2d_forward",
}
MAX_GRAPH_NODES = 10_000
RIDING = ("patch", "unpatch")  # what may ride on a request of the grader's, applied before it
_threads_started = [0]
_start_thread = _thread.start_new_thread


def _counted_start(*args, **kwargs):
    """_thread.start_new_thread, counted: work in another thread is invisible to the (per-thread) op tracer."""
    _threads_started[0] += 1
    return _start_thread(*args, **kwargs)


_thread.start_new_thread = _thread.start_new = threading._start_new_thread = _counted_start  # type: ignore[attr-defined]


class WorkerEnd(Peer):
    """The worker's side: `resolve` finds a student function by name; `handlers` serve run, patch, ...

    played() -> [token, {name: calls}] pairs: what the stand-ins recorded meanwhile, sent back with each reply.
    """

    def __init__(self, sock, resolve, handlers: dict | None = None, limits: FrameLimits = DEFAULT_LIMITS, played=None):
        super().__init__(sock, limits)
        self.keep_identity = True  # a Parameter the checks pass again is the one the student's code saw before
        self.takes_gradients = True  # the grader's scalar results come with their gradients (GraderEnd)
        self.resolve = resolve
        self.handlers = dict(handlers or {})
        self.played = played
        # bound now: student code that swaps this module's functions later changes nothing here
        self.quiet, self.traced, self.ruled = _quiet, _traced, _under_device_rules

    def handle(self, message: dict) -> dict:
        riding = message.get("before", [])
        if type(riding) is not list or not all(type(m) is dict and m.get("op") in RIDING for m in riding):
            raise BadFrame("what rides on a request is not a list of patches and unpatches")
        for queued in riding:
            self.handlers[queued["op"]](queued)
        reply = self._serve(message)
        played = self.played() if self.played is not None else []
        return {**reply, "played": self.encode(played, [])} if played else reply

    def _serve(self, message: dict) -> dict:
        op = message["op"]
        if op == "call":
            target = _field(message, "target", dict)
            fn = self.resolve(target)
            run = self.traced if message.get("trace") is True else self.quiet
            if message.get("device_rules") is True:
                run = self.ruled(run)
            return self.serve_call(message, fn, run=run)
        if op == "backward":
            return self.backward_for(message)
        if op == "exit":
            os._exit(0)
        if op in self.handlers:
            return returning(self.encode(self.handlers[op](message), []))
        raise Refused(f"unknown request {op[:40]!r}")

    def decode_callback(self, handle: int):
        return Callback(self, handle)

    def serve_forever(self) -> None:
        """Answer the grader until it goes away (or says exit)."""
        try:
            while True:
                message = recv_frame(self.sock, None, self.limits)
                if type(message) is not dict or type(message.get("op")) is not str:
                    raise BadFrame("a frame that is not a message")
                self.serve_one(message)
        except PeerGone:
            os._exit(0)


def _quiet(fn, args, kwargs):
    result, noise = call_quietly(fn, *args, **kwargs)
    return result, {"noise": noise}


def _traced(fn, args, kwargs):
    tracer = OpTracer()
    threads = _threads_started[0]
    with tracer:
        result, noise = call_quietly(fn, *args, **kwargs)
        if tracer not in _get_current_dispatch_mode_stack():
            raise PermissionError("the call removed the grader's op tracer")
    threads = _threads_started[0] - threads
    return result, {"noise": noise, "ops": sorted(tracer.ops | graph_ops(result)), "threads": threads}


def _under_device_rules(run):
    def ruled(fn, args, kwargs):
        rules = CudaLikeRandom()  # the checks' own mode, applied here to the student's code
        with rules:
            result, extra = run(fn, args, kwargs)
        return result, {**extra, "random_ops": [list(op) for op in rules.random_ops]}

    return ruled


def graph_ops(result) -> set[str]:
    """Forbidden ops that built `result`, read from its autograd graph."""
    found: set[str] = set()
    seen: set[int] = set()
    todo = [getattr(result, "grad_fn", None)]
    while todo and len(seen) < MAX_GRAPH_NODES:
        node = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        name = type(node).__name__
        if name in FORBIDDEN_NODES:
            found.add(FORBIDDEN_NODES[name])
        todo.extend(next_node for next_node, _ in getattr(node, "next_functions", ()))
    return found


def hello(sock) -> None:
    """Tell the grader this worker is ready."""
    send_frame(sock, {"op": "ready"})
