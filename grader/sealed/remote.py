"""SealedSubmission: the student's functions as the hidden checks see them, each call run in the worker."""

from contextlib import contextmanager

from torch.utils._python_dispatch import _disable_current_modes, _get_current_dispatch_mode_stack

from grader import FUNCTIONS
from grader.optrace import OpTracer
from grader.sealed.wire import Peer, PeerGone, PeerTimeout, RemoteError, builtin_exception
from grader.submission import MissingFunction


class WorkerLost(AssertionError):
    """The worker hung or died during a call; later calls fail at once."""


class StudentCodeError(Exception):
    """The student's code raised an exception that is not a Python builtin one."""


class SealedSubmission:
    """Same interface as grader.submission.Submission, over a connection to a sandboxed worker."""

    def __init__(self, peer: Peer, call_timeout: float, on_lost):
        self.peer = peer
        self.call_timeout = peer.call_timeout = call_timeout
        self.on_lost = on_lost  # called once with the reason when the worker hangs or dies
        self.lost: str | None = None

    def __getattr__(self, name):
        if name not in FUNCTIONS:
            raise AttributeError(name)
        return RemoteFunction(self, name)

    @contextmanager
    def patched(self, function: str, **replacements):
        """Within the block, `function`'s globals named in `replacements` call back into this process."""
        encoded = self.peer.encode(replacements, [])
        token = self.request({"op": "patch", "function": function, "globals": encoded})
        try:
            yield
        finally:
            self.peer.revoke(encoded)  # student code may have kept a callback: it must not work later
            if not self.lost:
                self.request({"op": "unpatch", "token": token})

    def request(self, message, call=None):
        """Send one request (or make one call) to the worker, turning its failures into check failures."""
        if self.lost:
            raise WorkerLost(self.lost)
        self.peer.deadline_after(self.call_timeout)
        try:
            with _disable_current_modes():
                return call() if call else self.peer.request(message)
        except RemoteError as err:
            raise _as_local(err) from None
        except PeerTimeout:
            self._lose(f"your code ran longer than {self.call_timeout:g} s in one call (an endless loop?)")
        except (PeerGone, OSError) as err:
            self._lose(
                f"the sandbox process running your code ended during the call ({err}): it exited, "
                "crashed, or went over its memory or CPU-time limit"
            )

    def _lose(self, reason):
        self.lost = reason
        self.on_lost(reason)
        raise WorkerLost(reason)


class RemoteFunction:
    """One student function; calling it runs it in the worker (traced when a check traces ops)."""

    def __init__(self, submission: SealedSubmission, name: str):
        self.submission, self.name = submission, name

    def __call__(self, *args, **kwargs):
        tracers = [m for m in _get_current_dispatch_mode_stack() if isinstance(m, OpTracer)]
        peer = self.submission.peer
        value, ops = self.submission.request(
            None, call=lambda: peer.call({"name": self.name}, args, kwargs, trace=bool(tracers))
        )
        for tracer in tracers:
            tracer.ops.update(str(op) for op in ops)
        return value


def _as_local(err: RemoteError) -> Exception:
    """The student's exception as the checks expect it: a missing function, or the same builtin class."""
    if err.kind == "NameError" and "is not defined: run the cell" in err.message:
        return MissingFunction(err.message)
    cls = builtin_exception(err.kind)
    if cls is not None:
        try:
            return cls(err.message)
        except Exception:
            pass
    return StudentCodeError(f"{err.kind}: {err.message}")
