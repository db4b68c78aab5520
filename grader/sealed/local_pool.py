"""The default grading pool: processes forked from this one, warm, sharing its zygote; no server, no port.

The parent imports the checks and runs them once on the reference, waits for the zygote, then forks
`jobs` grading processes: each inherits the warm interpreter and the zygote's control socket (an
inherited descriptor, so two gradings on one machine share nothing). A grading process takes one
submission at a time by path, records it (the gradebook, autograded/: nbgrader's converter, in parallel)
and sends its SubmissionResult back. One that dies (killed, out of memory)
costs only the submission it held: that one is tried again in a fresh process, up to MAX_CRASHES times,
and the others go on.
"""

import gc
import multiprocessing
import signal
import time
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path

from grader.sealed.cluster import as_is, failed
from grader.sealed.session import Assignment, SubmissionResult, grade_submission

MAX_CRASHES = 3  # a submission whose grading process dies this often is given up (as Dask gives up a task)
TASK_SECONDS = 30 * 60  # a grading process busy this long on one submission is stuck: killed, as a crash


@dataclass
class _Slot:
    """One grading process, and the submission it holds (None: idle)."""

    process: multiprocessing.Process
    conn: Connection
    student: str | None = None
    deadline: float = 0.0


def graded_here(
    todo: dict[str, Path], assignment: Assignment, jobs: int, zygote, record=None
) -> Iterator[SubmissionResult]:
    """Yield each submission's result once, as it completes. The caller has warmed up and the zygote is ready.

    record(result) -> result: run in the grading process after grading (here, for a submission given up).
    """
    record = record or as_is
    queue = deque(todo)
    crashes: Counter[str] = Counter()
    context = multiprocessing.get_context("fork")
    slots: list[_Slot] = []

    def dispatch():
        """Give waiting submissions to idle processes (forking new ones), up to `jobs` at once."""
        while queue and len([s for s in slots if s.student]) < jobs:
            slot = next((s for s in slots if s.student is None), None)
            if slot is None:
                slot = _start(context, assignment, zygote, record)
                slots.append(slot)
            slot.student = queue.popleft()
            slot.deadline = time.monotonic() + TASK_SECONDS
            slot.conn.send((slot.student, todo[slot.student]))

    try:
        dispatch()
        while any(s.student for s in slots):
            busy = [s for s in slots if s.student]
            timeout = max(0.0, min(s.deadline for s in busy) - time.monotonic())
            ready = wait([s.conn for s in busy] + [s.process.sentinel for s in busy], timeout)
            finished = []
            for slot in busy:
                if slot.conn in ready:
                    try:
                        result = slot.conn.recv()
                    except (EOFError, OSError):  # the process is gone
                        result = None
                    if result is not None:
                        slot.student = None
                        finished.append(result)
                        continue
                    how = "died"
                elif slot.process.sentinel in ready:
                    how = "died"
                elif time.monotonic() >= slot.deadline:
                    how = "got stuck"
                else:
                    continue
                student = slot.student
                _stop(slot)
                slots.remove(slot)
                crashes[student] += 1
                if crashes[student] < MAX_CRASHES:
                    queue.append(student)
                else:
                    gave_up = failed(student, f"its grading process {how} {MAX_CRASHES} times; it was given up")
                    finished.append(record(gave_up))
            dispatch()  # before the caller takes the results: no process waits while the caller works
            yield from finished
    finally:
        for slot in slots:
            _stop(slot)


def _start(context, assignment: Assignment, zygote, record) -> _Slot:
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve, args=(theirs, assignment, zygote, record), daemon=True)
    # the child's collections leave what it inherits alone (shared pages stay shared, full collections stay
    # short); this process takes its objects back once the child is forked
    gc.freeze()
    try:
        process.start()
    finally:
        gc.unfreeze()
    theirs.close()
    return _Slot(process, ours)


def _stop(slot: _Slot) -> None:
    if slot.process.is_alive():
        slot.process.kill()
    slot.process.join()
    slot.conn.close()


def _serve(conn: Connection, assignment: Assignment, zygote, record) -> None:
    """In a grading process: grade and record each submission sent, until the parent closes the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it kills us
    while True:
        try:
            student, path = conn.recv()
        except (EOFError, OSError):
            return
        try:
            result = grade_submission(student, path, assignment, zygote)
        except Exception as err:  # a bug of the grader on this submission: it costs this student only
            result = failed(student, f"the grader failed on this submission: {type(err).__name__}: {err}")
        conn.send(record(result))
