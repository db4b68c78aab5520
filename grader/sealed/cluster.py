"""Where submissions are graded: a local pool of forked processes by default, a Dask cluster when asked.

`graded` is the one entry point (grader/sealed/pool.py calls it). Nothing of Dask is imported unless a
scheduler is given, so the default path opens no server and no port, and two gradings on one machine
never meet. Importing this module is cheap (no torch): `start_sandbox_early` can run first thing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from grader import FUNCTIONS

if TYPE_CHECKING:
    from grader.sealed.session import Assignment, SubmissionResult
    from grader.sealed.spawn import Zygote

STARTUP: dict[str, float] = {}  # seconds of the last local run's start-up, by step (for the run's summary)
_early: Zygote | None = None  # a zygote started before the grader's own imports, waiting to be used


def start_sandbox_early(root: Path, unconfined: bool = False) -> None:
    """Start the zygote now, so it boots while the grader imports its modules (`grade` calls this first).

    Its limits are read from the course's nbgrader_config.py as Assignment.load reads them; `graded` uses
    it only if they match the assignment's (else it starts another: a slower start, never other limits).
    """
    global _early
    from traitlets.config.loader import PyFileConfigLoader

    from grader.sealed.sandbox import Limits
    from grader.sealed.spawn import Zygote

    STARTUP["early"] = time.monotonic()
    sealed = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config().SealedGrader
    limits = Limits(memory_bytes=int(sealed.get("memory_mb", Limits.memory_bytes // 2**20)) * 2**20)
    _early = Zygote(limits, unconfined=unconfined)


def graded(
    todo: dict[str, Path], assignment: Assignment, jobs: int, scheduler: str | None = None, unconfined: bool = False
) -> Iterator[SubmissionResult]:
    """Yield each submission's result once, as it completes; a failed task costs only its student.

    `scheduler`: a Dask scheduler's address (grader/sealed/dask_cluster.py); else `jobs` local processes.
    `unconfined`: the instructor's explicit choice to grade without the sandbox (trusted code only).
    """
    if scheduler:
        from grader.sealed.dask_cluster import graded_on_dask

        yield from graded_on_dask(todo, assignment, scheduler, unconfined)
        return
    from grader.sealed.local_pool import graded_here

    started = time.monotonic()
    zygote = _take_early_zygote(assignment, unconfined)
    try:
        warm_up()  # while the zygote boots
        STARTUP["checks warm-up"] = time.monotonic() - started
        zygote.wait_ready()  # before forking: the pool's processes share the zygote's one ready state
        STARTUP["sandbox ready"] = time.monotonic() - started
        yield from graded_here(todo, assignment, jobs, zygote)
    finally:
        zygote.close()


def _take_early_zygote(assignment: Assignment, unconfined: bool) -> Zygote:
    global _early
    from grader.sealed.spawn import Zygote

    zygote, _early = _early, None
    if zygote is not None and zygote.limits == assignment.limits and zygote.unconfined == unconfined:
        return zygote
    if zygote is not None:
        zygote.close()
    return Zygote(assignment.limits, unconfined=unconfined)


def warm_up() -> None:
    """Import pytest and torch and run every check once on the reference: later gradings start warm."""
    import torch

    import lesson_ref
    from grader.runner import run_checks
    from grader.submission import Submission

    torch.set_num_threads(1)  # one grading per process; parallelism comes from the processes
    for fn in FUNCTIONS:
        run_checks(fn, Submission.from_module(lesson_ref))


def failed(student: str, reason: str) -> SubmissionResult:
    """The result of a submission whose grading failed as a whole: every function 0, with the reason."""
    from grader.sealed.session import SubmissionResult, not_graded

    return SubmissionResult(student, {fn: not_graded(reason) for fn in FUNCTIONS}, [reason])
