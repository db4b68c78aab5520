"""What the reference gives on the hidden inputs: computed once per course and check version, kept on disk.

A check asks `expect(label, compute)` (the `expect` fixture, grader/checks/conftest.py) for a value that
depends on the hidden inputs only: the reference's loss, gradient, step, the least-squares optimum. Within a
process each (case, label) is computed once; the sealed grader computes the CPU ones in its warm-up, before
its grading processes fork, so no submission computes one again (a GPU's, once per grading process). On disk
(`expectations.cache` beside the gradebook: grader.course.expectations_cache) they last from one run to the
next, stamped with a fingerprint of everything that computes them (the checks, the reference, the points
table, this module, torch's version): a file with another stamp, or one that cannot be read, is ignored and
replaced, so a grade never comes from a stale expectation.

Only the sealed grader's main process reads or writes the file; a worker cannot see it (the course folder is
not shown in the sandbox). It is loaded with torch.load(weights_only=True): tensors and plain containers,
never code.
"""

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import torch

FORMAT = 2  # bump when the file's layout changes
ROOT = Path(__file__).resolve().parent.parent
# everything that decides a hidden input or its expected value, or how the values score
SOURCES = ("grader/checks", "grader/expectations.py", "grader/points.py", "grader/devicesim.py", "lesson_ref")

Value = torch.Tensor | tuple[torch.Tensor, ...]
_memo: dict[str, Value] = {}
computed = 0  # how many values this process computed (tests and the benchmark read it)


def expect(case: str, label: str, compute: Callable[[], Value]) -> Value:
    """compute(), once per (case, label) in this process; each caller gets its own copy. -> tensor or tuple."""
    global computed
    key = f"{case}::{label}"
    if key not in _memo:
        value = compute()
        _memo[key] = tuple(t.detach().clone() for t in value) if isinstance(value, tuple) else value.detach().clone()
        computed += 1
    value = _memo[key]
    return tuple(t.clone() for t in value) if isinstance(value, tuple) else value.clone()


def fingerprint(root: Path = ROOT) -> str:
    """sha256 of the sources in SOURCES (their paths and bytes), the file format and torch's version."""
    digest = hashlib.sha256(f"{FORMAT} {torch.__version__}".encode())
    for source in SOURCES:
        path = root / source
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(f"\0{file.relative_to(root)}\0".encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def load(path: Path) -> int:
    """Take the file's values if its fingerprint is this code's; -> how many were taken (0 if none, or unreadable)."""
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        if saved["fingerprint"] != fingerprint():
            return 0
        taken = {}
        for key, tensors in saved["values"].items():
            if not all(isinstance(t, torch.Tensor) and t.device.type == "cpu" for t in tensors):
                return 0
            taken[str(key)] = tuple(tensors) if saved["tuples"][key] else tensors[0]
    except Exception:  # missing, truncated, foreign or tampered: computed afresh and written anew
        return 0
    _memo.update(taken)
    return len(taken)


def save(path: Path) -> None:
    """Write this process's CPU values with this code's fingerprint (atomically, readable by the owner only).

    Only CPU values: a GPU's are computed by each grading process on its own device (CUDA cannot cross a fork).
    """
    values, tuples = {}, {}
    for key, value in _memo.items():
        tensors = value if isinstance(value, tuple) else (value,)
        if all(t.device.type == "cpu" for t in tensors):
            values[key] = list(tensors)
            tuples[key] = isinstance(value, tuple)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        torch.save({"fingerprint": fingerprint(), "values": values, "tuples": tuples}, out)
    os.replace(partial, path)


def forget() -> None:
    """Drop this process's values (tests)."""
    _memo.clear()
