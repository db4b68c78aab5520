"""A student's contract functions, looked up in the namespace that defines them, called under the noise policy.

Noise policy (docs/how-grading-works.md, "Points and what the hidden checks verify"): a student function must
not write to stderr or raise a warning. Every call a hidden check makes runs through `call_quietly`, which catches, for
that call alone, what went to sys.stderr and every warning (Python's filters set to "always" and torch's
once-per-process warnings switched to every time), so the verdict does not depend on what ran before; a
call that made noise fails its check with `NoisyCall`, naming the warning categories but never quoting
the text (it was printed while the function ran on the hidden inputs, which feedback must not show; the
student sees it by running the function in their notebook). In-kernel, `Submission`
does this; in sealed mode the worker runs each call through `call_quietly` and the grader's side raises.
"""

import builtins
import contextlib
import functools
import io
import re
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

import torch

from grader import FUNCTIONS

_CATEGORY = re.compile(r"\b([A-Z]\w*Warning): ")


class MissingFunction(AssertionError):
    """The submission does not define a contract function."""


class NoisyCall(AssertionError):
    """A student function wrote to stderr or raised a warning during a hidden check's call."""


def call_quietly(fn, *args, **kwargs):
    """fn(*args, **kwargs) with its stderr and warnings caught. -> (result, noise: str, '' when quiet).

    An exception from fn propagates (its noise is dropped: the exception is the verdict).
    """
    stderr = io.StringIO()
    warn_always = torch.is_warn_always_enabled()
    torch.set_warn_always(True)  # torch's TORCH_WARN_ONCE warnings otherwise show once per process
    try:
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(stderr):
            warnings.simplefilter("always")
            # the garbage collector may run during the call and warn about some earlier object's unclosed
            # file: not the call's doing, and ignored by Python's default filters (so never on stock stderr)
            warnings.simplefilter("ignore", ResourceWarning)
            result = fn(*args, **kwargs)
    finally:
        torch.set_warn_always(warn_always)
    noise = stderr.getvalue() + "".join(
        warnings.formatwarning(w.message, w.category, w.filename, w.lineno, line="") for w in caught
    )
    return result, noise


def raise_if_noisy(function: str, noise: str) -> None:
    """Raise NoisyCall naming `function` and the builtin warning categories seen, unless `noise` is empty.

    The text itself is never quoted: it was printed while the function ran on the hidden inputs.
    """
    if not noise:
        return
    found = dict.fromkeys(_CATEGORY.findall(noise))
    categories = [name for name in found if isinstance(getattr(builtins, name, None), type)]
    what = f" ({', '.join(categories)})" if categories else ""
    raise NoisyCall(
        f"`{function}` wrote to stderr or raised a warning{what} during the check: nothing may be printed there "
        "(nbgrader scores a cell with stderr output 0). What it printed is not shown, since it ran on the hidden "
        "inputs: call the function in your notebook to see it.\n"
        f"`{function}` 在检查中向 stderr 输出或触发了警告{what}:那里不能有任何输出(nbgrader 会给有 stderr 输出的"
        "单元格 0 分)。由于它是在隐藏输入上运行的,输出内容不予显示:请在你的笔记本中调用该函数查看。"
    )


class Functions(Protocol):
    """What the hidden checks need of a submission, in-kernel (Submission) or sealed (SealedSubmission)."""

    def __getattr__(self, name: str) -> Callable: ...

    def patched(self, function: str, **replacements) -> AbstractContextManager[None]: ...


class Submission:
    """The contract functions as one namespace holds them (a notebook's globals, a module's dict)."""

    def __init__(self, namespace: dict):
        self._namespace = namespace

    @classmethod
    def from_module(cls, module) -> "Submission":
        """The functions of an imported module (e.g. lesson_ref)."""
        return cls(vars(module))

    def _raw(self, name):
        fn = self._namespace.get(name)
        if not callable(fn):
            raise MissingFunction(
                f"`{name}` is not defined: run the cell that defines it before this test.\n"
                f"`{name}` 未定义:请先运行定义它的单元格。"
            )
        return fn

    def __getattr__(self, name):
        """The student's function `name`; each call runs under the noise policy."""
        if name not in FUNCTIONS:
            raise AttributeError(name)
        fn = self._raw(name)

        @functools.wraps(fn)
        def quiet(*args, **kwargs):
            result, noise = call_quietly(fn, *args, **kwargs)
            raise_if_noisy(name, noise)
            return result

        return quiet

    @contextmanager
    def patched(self, function: str, **replacements):
        """Within the block, names looked up as globals by `function` resolve to `replacements`."""
        fn = self._raw(function)
        scope = getattr(fn, "__globals__", None)
        if scope is None:
            raise MissingFunction(f"`{function}` must be a plain `def` function.")
        missing = object()
        saved = {name: scope.get(name, missing) for name in replacements}
        scope.update(replacements)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is missing:
                    scope.pop(name, None)
                else:
                    scope[name] = value
