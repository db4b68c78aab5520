"""Sealed grading on Dask: a local cluster by default, an existing one with `--scheduler ADDRESS`.

Each task grades one submission in the same sandbox (its notebook's bytes travel with it, so workers need
no shared disk). On a local cluster the workers share one zygote, started here; on another cluster each
worker starts its own. A task whose worker dies is run again elsewhere by the scheduler; the client takes
each task's result once, so nothing is lost or recorded twice.
"""

import logging
import tempfile
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import dask
from distributed import Client, LocalCluster, WorkerPlugin, as_completed
from distributed.scheduler import KilledWorker
from distributed.utils import get_mp_context

from grader import FUNCTIONS
from grader.course import NOTEBOOK
from grader.sealed.session import Assignment, SubmissionResult, grade_submission, not_graded
from grader.sealed.spawn import Zygote

_grading = threading.Lock()  # the hidden checks run in pytest.main, which is not thread-safe
_zygote: Zygote | None = None


class SandboxPlugin(WorkerPlugin):
    """On every Dask worker: start a zygote (unless one is shared), pay the checks' start-up once."""

    name = "lesson2-sgd-sandbox"

    def __init__(self, own_zygote: bool):
        self.own_zygote = own_zygote

    def setup(self, worker):
        global _zygote
        if self.own_zygote:
            _zygote = Zygote()  # boots while the checks warm up
        warm_up()

    def teardown(self, worker):
        if _zygote is not None:
            _zygote.close()


def warm_up() -> None:
    """Import pytest and torch and run every check once on the reference: later gradings start warm."""
    import torch

    import lesson_ref
    from grader.runner import run_checks
    from grader.submission import Submission

    torch.set_num_threads(1)  # one grading per worker process; parallelism comes from the workers
    for fn in FUNCTIONS:
        run_checks(fn, Submission.from_module(lesson_ref))


def grade_task(student: str, notebook: bytes | None, assignment: Assignment, zygote: str | None) -> SubmissionResult:
    """One submission, graded on this worker (None: the student handed in no notebook; no zygote: our own)."""
    with _grading, tempfile.TemporaryDirectory(prefix="lesson2-task-") as folder:
        path = Path(folder) / NOTEBOOK
        if notebook is not None:
            path.write_bytes(notebook)
        return grade_submission(student, path, assignment, zygote or _zygote.address)


def failed(student: str, reason: str) -> SubmissionResult:
    return SubmissionResult(student, {fn: not_graded(reason) for fn in FUNCTIONS}, [reason])


@contextmanager
def client_for(scheduler: str | None, jobs: int):
    """A client of the cluster at `scheduler`, or of a local cluster of `jobs` one-thread workers."""
    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    # Local workers fork from a server that imported torch and ran the checks once (grader/sealed/warm.py)
    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        get_mp_context().set_forkserver_preload(["grader.sealed.warm"])
        with (
            LocalCluster(
                n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client


def graded(todo: dict[str, Path], assignment: Assignment, jobs: int, scheduler: str | None = None):
    """Yield each submission's result once, as it completes; a failed task costs only its student."""
    local_zygote = None if scheduler else Zygote()  # boots while the cluster starts
    try:
        yield from _graded(todo, assignment, jobs, scheduler, local_zygote)
    finally:
        if local_zygote is not None:
            local_zygote.close()


def _graded(todo, assignment, jobs, scheduler, local_zygote):
    with client_for(scheduler, jobs) as client:
        client.register_plugin(SandboxPlugin(own_zygote=local_zygote is None))
        [shared] = client.scatter([assignment], broadcast=True)
        address = local_zygote.address if local_zygote else None
        run = uuid.uuid4().hex[:8]
        futures = {
            client.submit(
                grade_task,
                student,
                path.read_bytes() if path.is_file() else None,
                shared,
                address,
                key=f"grade-{run}-{student}",
            ): student
            for student, path in todo.items()
        }
        for future in as_completed(futures):
            student = futures[future]
            try:
                result = future.result()
            except KilledWorker:
                result = failed(student, "grading it killed a Dask worker three times; it was given up")
            except Exception as err:
                result = failed(student, f"the grader failed on this submission: {type(err).__name__}: {err}")
            future.release()
            yield result
