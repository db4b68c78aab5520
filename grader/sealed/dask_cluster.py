"""Sealed grading on a Dask cluster (`grade --scheduler ADDRESS`), for courses larger than one machine.

Each task grades one submission in the same sandbox; its notebook's bytes travel with it, so workers
need no shared disk. Every worker starts its own zygote and warms the checks up when it joins. A task
whose worker dies is run again elsewhere by the scheduler; the client takes each task's result once, so
nothing is lost or recorded twice. Imported only when a scheduler is given.
"""

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

from distributed import Client, WorkerPlugin, as_completed
from distributed.scheduler import KilledWorker

from grader.sealed import gpu, intake
from grader.sealed.cluster import failed, warm_up
from grader.sealed.session import Assignment, SubmissionResult, grade_submission
from grader.sealed.spawn import Zygote

_grading = threading.Lock()  # the hidden checks run in pytest.main, which is not thread-safe
_zygote: Zygote | None = None


class SandboxPlugin(WorkerPlugin):
    """On every Dask worker: start a zygote, pay the checks' start-up once while it boots."""

    name = "lesson2-sgd-sandbox"

    def __init__(self, limits, unconfined: bool = False):
        self.limits, self.unconfined = limits, unconfined

    def setup(self, worker):
        global _zygote
        _zygote = Zygote(self.limits, unconfined=self.unconfined)  # boots while the checks warm up
        warm_up()
        try:
            _zygote.wait_ready()
        except Exception:
            return  # the sandbox's error comes back with each task, where it is reported
        gpu.skip_cuda_cases(gpu.unusable_gpu(_zygote))

    def teardown(self, worker):
        if _zygote is not None:
            _zygote.close()


def grade_task(student: str, handed: intake.Handed, assignment: Assignment) -> SubmissionResult:
    """One submission, graded on this worker from what the client read of it."""
    with _grading:
        return grade_submission(student, handed, assignment, _zygote)


def graded_on_dask(
    todo: dict[str, Path], assignment: Assignment, scheduler: str, unconfined: bool = False
) -> Iterator[SubmissionResult]:
    """Yield each submission's result once, as it completes; a failed task costs only its student."""
    with Client(scheduler) as client:
        client.register_plugin(SandboxPlugin(assignment.limits, unconfined))
        [shared] = client.scatter([assignment], broadcast=True)
        run = uuid.uuid4().hex[:8]
        futures = {
            client.submit(
                grade_task,
                student,
                intake.take(path),
                shared,
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
