"""SealedSubmission: the student's functions as the hidden checks see them, each call run in the worker."""

from contextlib import contextmanager

from torch.overrides import _get_current_function_mode_stack
from torch.utils._python_dispatch import _disable_current_modes, _get_current_dispatch_mode_stack

from grader import FUNCTIONS
from grader.optrace import OpTracer
from grader.sealed.frames import PeerGone, PeerTimeout
from grader.sealed.grader_end import GraderEnd
from grader.sealed.peer import RemoteError, builtin_exception
from grader.submission import MissingFunction, raise_if_noisy


class WorkerLost(AssertionError):
    """The worker hung or died during a call, or the submission's budget ran out; later calls fail at once."""


class Unreturnable(AssertionError):
    """The student's function gave back what cannot cross to the grader (the worker's words are not shown)."""

    MESSAGE = (
        "your function returned (or left in its arguments) a value that cannot be passed to the grader: only "
        "tensors of at most 64 MiB, generators, numbers, strings, None, lists, tuples and dicts, within the "
        "protocol's limits (1 MiB per string, 100,000 items per list, 64 MiB in all) / 你的函数返回了(或在参数中留下了)"
        "无法传给评分程序的值:只能是不超过 64 MiB 的张量、generator、数字、字符串、None、list、tuple 和 dict,"
        "且不超过协议的限制(每个字符串 1 MiB,每个列表 100,000 项,总共 64 MiB)"
    )


class StudentCodeError(Exception):
    """The student's code raised an exception that is not a Python builtin one."""


class SealedSubmission:
    """Same interface as grader.submission.Submission, over a connection to a sandboxed worker."""

    def __init__(self, end: GraderEnd, call_timeout: float, on_lost, budget: float | None = None):
        self.end = end
        self.call_timeout = call_timeout
        self.budget = budget  # the submission's wall budget in seconds, for the message when it runs out
        self.on_lost = on_lost  # called once with the reason when the worker hangs or dies
        self.lost: str | None = None
        self.breaches: list[str] = []  # what the worker reported that makes the function's verdict void

    def __getattr__(self, name):
        if name not in FUNCTIONS:
            raise AttributeError(name)
        return RemoteFunction(self, name)

    @contextmanager
    def patched(self, function: str, **replacements):
        """Within the block, `function`'s globals named in `replacements` call back into this process.

        A replacement marked `replayable` (grader/stand_in.py) is played by the worker instead: its calls come
        back with the reply to the call that made them and are replayed into it here, with no round trip of
        their own. The patch and its undoing ride on the next requests to the worker (no round trips either).
        """
        if self.lost:
            raise WorkerLost(self.lost)
        played = {name: fn for name, fn in replacements.items() if getattr(fn, "replayable", False) is True}
        encoded = self.end.encode({k: fn for k, fn in replacements.items() if k not in played}, [])
        token = self.end.patch_later(function, encoded, played)
        try:
            yield
        finally:
            self.end.revoke(encoded)  # student code may have kept a callback: it must not work later
            self.end.unpatch_later(token)

    def request(self, exchange):
        """Run one exchange with the worker, turning its failures into check failures."""
        if self.lost:
            raise WorkerLost(self.lost)
        try:
            with _disable_current_modes():
                return exchange()
        except RemoteError as err:
            raise _as_local(err) from None
        except PeerTimeout:
            if self.end.budget_spent():
                self._lose(
                    f"the submission used up its grading budget of {self.budget:g} s: the remaining checks score 0"
                )
            self._lose(f"your code ran longer than {self.call_timeout:g} s in one call (an endless loop?)")
        except (PeerGone, OSError) as err:
            self._lose(
                f"the sandbox process running your code ended during the call ({err}): it exited, "
                "crashed, sent something unreadable, or went over its memory or CPU-time limit"
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
        end, timeout = self.submission.end, self.submission.call_timeout
        # the checks' device-rule modes (grader.devicesim.CudaLikeRandom) run again around the call in the worker
        rules = [m for m in _get_current_function_mode_stack() if isinstance(getattr(m, "random_ops", None), list)]
        fields = {"trace": True} if tracers else {}
        if rules:
            fields["device_rules"] = True
        value, reply = self.submission.request(
            lambda: end.call({"name": self.name}, args, kwargs, timeout=timeout, **fields)
        )
        threads = reply.get("threads", 0)
        if tracers and (type(threads) is not int or threads != 0):
            self.submission.breaches.append(
                f"{self.name} started a thread during a traced call, where the checks cannot see what it runs"
            )
        ops = reply.get("ops", [])
        for tracer in tracers:
            tracer.ops.update(str(op)[:100] for op in (ops if type(ops) is list else [])[:1000])
        drawn = reply.get("random_ops", [])
        for mode in rules:
            mode.random_ops.extend(
                tuple(str(x)[:40] if x is not None else None for x in op)[:3] for op in drawn[:10_000]
            )
        noise = reply.get("noise", "")
        raise_if_noisy(self.name, noise if type(noise) is str else repr(noise))
        return value


def _as_local(err: RemoteError) -> Exception:
    """The student's exception as the checks expect it: a missing function, or the same builtin class."""
    if err.kind == "NameError" and "is not defined: run the cell" in err.message:
        return MissingFunction(err.message)
    if err.kind == "Unsendable":
        return Unreturnable(Unreturnable.MESSAGE)
    cls = builtin_exception(err.kind)
    if cls is not None:
        try:
            return cls(err.message)
        except Exception:
            pass
    return StudentCodeError(f"{err.kind}: {err.message}")
