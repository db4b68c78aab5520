"""Where submissions are graded: a local pool of forked processes by default, a Dask cluster when asked.

`graded` is the one entry point (grader/sealed/batch.py calls it). Nothing of Dask is imported unless a
scheduler is given, so the default path opens no server and no port, and two gradings on one machine
never meet. Importing this module is cheap (no torch), so `starting` can run first thing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from grader import FUNCTIONS

if TYPE_CHECKING:
    from grader.sealed.session import Assignment, SubmissionResult
    from grader.sealed.spawn import Zygote

# monotonic times of the last run's steps: start (the command's), begin, warm, ready, first and last result
TIMELINE: dict[str, float] = {}
_early: Zygote | None = None  # a zygote started before the grader's own imports, waiting to be used


def starting(root: Path, scheduler: str | None = None, unconfined: bool = False) -> None:
    """`grade` begins: note the time; for local grading, start the zygote to boot while the grader imports.

    The zygote's limits are read from the course's nbgrader_config.py as Assignment.load reads them; `graded`
    uses it only if they match the assignment's (else it starts another: a slower start, never other limits).
    """
    global _early
    TIMELINE.clear()
    TIMELINE["start"] = _process_start()
    if scheduler:
        return
    from traitlets.config.loader import PyFileConfigLoader

    from grader.sealed.sandbox import Limits
    from grader.sealed.spawn import Zygote

    try:
        sealed = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config().SealedGrader
        limits = Limits(memory_bytes=int(sealed.get("memory_mb", Limits.memory_bytes // 2**20)) * 2**20)
        _early = Zygote(limits, unconfined=unconfined)
    except Exception:
        _early = None  # the same error comes back, where it is reported, when grading starts the zygote


def _process_start() -> float:
    """When this process started, on time.monotonic()'s clock (Linux; else now)."""
    try:
        ticks = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19])
        uptime = float(open("/proc/uptime").read().split()[0])
        return time.monotonic() - (uptime - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return time.monotonic()


def graded(
    todo: dict[str, Path],
    assignment: Assignment,
    jobs: int,
    scheduler: str | None = None,
    unconfined: bool = False,
    expectations: Path | None = None,
    record: Callable[[SubmissionResult], SubmissionResult] | None = None,
) -> Iterator[SubmissionResult]:
    """Yield each submission's result once, as it completes; a failed task costs only its student.

    `scheduler`: a Dask scheduler's address (grader/sealed/dask_cluster.py); else `jobs` local processes.
    `unconfined`: the instructor's explicit choice to grade without the sandbox (trusted code only).
    `expectations`: the file the warm-up takes the reference's values from and keeps them in (local grading).
    `record`: applied to each result before it is yielded: in the local grading processes (in parallel, the
    main process only collects), in this process for results from a cluster or a grading process that died.
    """
    for step in ("begin", "warm", "ready", "first", "last"):
        TIMELINE.pop(step, None)
    TIMELINE["begin"] = time.monotonic()
    for result in _graded(todo, assignment, jobs, scheduler, unconfined, expectations, record or as_is):
        TIMELINE.setdefault("first", time.monotonic())
        yield result
    TIMELINE["last"] = time.monotonic()


def as_is(result: SubmissionResult) -> SubmissionResult:
    """The recording step that records nothing."""
    return result


def _graded(todo, assignment, jobs, scheduler, unconfined, expectations, record):
    if not todo:
        return
    if scheduler:
        from grader.sealed.dask_cluster import graded_on_dask

        yield from map(record, graded_on_dask(todo, assignment, scheduler, unconfined))
        return
    from grader.sealed import gpu
    from grader.sealed.local_pool import graded_here

    zygote = _take_early_zygote(assignment, unconfined)
    try:
        warm_up(expectations)  # while the zygote boots
        TIMELINE["warm"] = time.monotonic()
        zygote.wait_ready()  # before forking: the pool's processes share the zygote's one ready state
        TIMELINE["ready"] = time.monotonic()
        gpu.skip_cuda_cases(gpu.unusable_gpu(zygote))  # before forking too: the pool's processes inherit it
        yield from graded_here(todo, assignment, jobs, zygote, record)
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


def warm_up(cache: Path | None = None) -> None:
    """Import pytest and torch and run every check once on the reference: later gradings start warm.

    That computes every expectation the checks ask for (grader/expectations.py), before the grading processes
    fork: `cache`, if given, supplies them from the last run and keeps them for the next. Nothing here may
    start CUDA: a process forked after that cannot use it ("Cannot re-initialize CUDA in forked subprocess"),
    so the cuda cases are left out (each grading process starts CUDA at its own first cuda case), and
    torch.cuda.is_available() asks NVML, which leaves CUDA alone, not the CUDA runtime.
    """
    os.environ["PYTORCH_NVML_BASED_CUDA_CHECK"] = "1"  # read at each is_available() call, the checks' first here
    import torch

    import lesson_ref
    from grader import expectations
    from grader.runner import run_checks_together
    from grader.submission import Submission

    torch.set_num_threads(1)  # one grading per process; parallelism comes from the processes
    if cache is not None:
        expectations.load(cache)
    before = expectations.computed
    reference = Submission.from_module(lesson_ref)
    run_checks_together(list(FUNCTIONS), lambda check_one: [check_one(fn, reference) for fn in FUNCTIONS], "not cuda")
    if cache is not None and (expectations.computed > before or not cache.exists()):
        try:
            expectations.save(cache)
        except OSError:
            pass  # a read-only course folder: computed again next time, graded the same


def failed(student: str, reason: str) -> SubmissionResult:
    """The result of a submission whose grading failed as a whole: every function 0, with the reason."""
    from grader.sealed.session import SubmissionResult, not_graded

    return SubmissionResult(student, {fn: not_graded(reason) for fn in FUNCTIONS}, [reason])
