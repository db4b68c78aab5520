"""The local grading pool: every submission graded once, a crashed or stuck grading process costing only its own.

The pool forks its processes from the test, so a grade_submission patched here runs in them: these
tests drive the pool's bookkeeping without a sandbox, torch or a course.
"""

import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader import FUNCTIONS
from grader.sealed import local_pool
from grader.sealed.session import FunctionResult, SubmissionResult

STUDENTS = [f"s{i:02d}" for i in range(12)]


def fake_grade(student, path, assignment, zygote):
    """Full marks, after a little work; the names below misbehave as they say."""
    if student == "crashes_always" or (student == "crashes_once" and not Path(path).exists()):
        Path(path).touch()  # crashes_once: the next try finds the file and grades
        os._exit(9)
    if student == "hangs":
        time.sleep(60)
    Path(f"{path}.started").touch()
    time.sleep(0.01)
    return SubmissionResult(student, {fn: FunctionResult(1.0) for fn in FUNCTIONS}, seconds=os.getpid())


def run_pool(monkeypatch, students, tmp_path, jobs=2):
    monkeypatch.setattr(local_pool, "grade_submission", fake_grade)
    todo = {s: tmp_path / s for s in students}
    return list(local_pool.graded_here(todo, assignment=None, jobs=jobs, zygote=None))


def test_every_submission_is_graded_once_by_several_processes(monkeypatch, tmp_path):
    """Does every submission get exactly one result, from more than one grading process?"""
    results = run_pool(monkeypatch, STUDENTS, tmp_path)
    assert sorted(r.student for r in results) == STUDENTS
    assert len({r.seconds for r in results}) == 2  # the fake puts its process id there


def test_each_result_is_recorded_in_the_grading_process_that_made_it(monkeypatch, tmp_path):
    """Is the gradebook written by the grading processes, in parallel, so the main process only collects, and
    is a submission given up recorded here, once?"""
    monkeypatch.setattr(local_pool, "grade_submission", fake_grade)

    def record(result):
        result.problems.append(f"recorded in {os.getpid()}")
        return result

    todo = {s: tmp_path / s for s in ["crashes_always", *STUDENTS]}
    results = {r.student: r for r in local_pool.graded_here(todo, None, jobs=2, zygote=None, record=record)}
    given_up = results.pop("crashes_always")
    assert given_up.problems[1:] == [f"recorded in {os.getpid()}"]
    for r in results.values():
        assert r.problems == [f"recorded in {int(r.seconds)}"]  # the fake's process id: where it was graded
        assert int(r.seconds) != os.getpid()


def test_a_process_that_dies_costs_only_its_submission(monkeypatch, tmp_path):
    """A submission whose grading process dies every time: given up with a reason, everyone else graded?"""
    results = {r.student: r for r in run_pool(monkeypatch, ["crashes_always", *STUDENTS], tmp_path)}
    assert sorted(results) == sorted(["crashes_always", *STUDENTS])
    given_up = results.pop("crashes_always")
    assert given_up.total == 0 and "died 3 times" in given_up.problems[0]
    assert all(r.total == len(FUNCTIONS) and not r.problems for r in results.values())


def test_a_process_that_dies_once_is_replaced_and_the_submission_graded(monkeypatch, tmp_path):
    """If a grading process dies once on a submission, is that submission graded in a fresh process?"""
    results = {r.student: r for r in run_pool(monkeypatch, ["crashes_once", *STUDENTS[:3]], tmp_path)}
    assert results["crashes_once"].total == len(FUNCTIONS) and not results["crashes_once"].problems


def test_a_stuck_process_is_killed_and_the_batch_completes(monkeypatch, tmp_path):
    """A grading process stuck on one submission: killed past the task limit, the others graded meanwhile?"""
    monkeypatch.setattr(local_pool, "TASK_SECONDS", 0.5)
    results = {r.student: r for r in run_pool(monkeypatch, ["hangs", *STUDENTS[:4]], tmp_path)}
    assert "got stuck 3 times" in results["hangs"].problems[0]
    assert all(results[s].total == len(FUNCTIONS) for s in STUDENTS[:4])


def test_the_default_path_imports_no_dask():
    """Does importing the grading pipeline leave Dask out (no scheduler, no HTTP server, no port 8787)?"""
    imports = "import sys, grader.sealed.batch, grader.sealed.local_pool"
    code = f"{imports}; print(sorted({{'dask', 'distributed'}} & {{*sys.modules}}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("jobs", [1, 3])
def test_no_more_processes_than_jobs(monkeypatch, tmp_path, jobs):
    """Does the pool grade with at most `jobs` processes at once?"""
    results = run_pool(monkeypatch, STUDENTS, tmp_path, jobs=jobs)
    assert len({r.seconds for r in results}) <= jobs


def test_next_submission_is_handed_out_before_the_caller_records_a_result(monkeypatch, tmp_path):
    """While the caller writes one result to the gradebook, is the freed process already grading the next?"""
    monkeypatch.setattr(local_pool, "grade_submission", fake_grade)
    todo = {s: tmp_path / s for s in STUDENTS[:3]}
    graded = local_pool.graded_here(todo, assignment=None, jobs=1, zygote=None)
    for done, following in itertools.pairwise(STUDENTS[:3]):
        assert next(graded).student == done
        started = tmp_path / f"{following}.started"
        deadline = time.monotonic() + 30
        while not started.exists() and time.monotonic() < deadline:  # the caller is "recording" meanwhile
            time.sleep(0.01)
        assert started.exists(), f"{following} was not handed out while {done} was being recorded"
    assert [r.student for r in graded] == STUDENTS[2:3]


class FakeZygote:
    """Stands in for spawn.Zygote: records its limits and whether it was closed."""

    def __init__(self, limits, unconfined=False):
        self.limits, self.unconfined, self.closed = limits, unconfined, False

    def close(self):
        self.closed = True


@pytest.mark.parametrize("memory_mb, reused", [(3072, True), (1024, False)])
def test_the_early_sandbox_is_used_only_with_the_assignments_limits(monkeypatch, tmp_path, memory_mb, reused):
    """The zygote `grade` starts before its imports: used when its limits are the course's, else replaced?"""
    from grader.sealed import cluster, spawn
    from grader.sealed.sandbox import Limits

    monkeypatch.setattr(spawn, "Zygote", FakeZygote)
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")  # no memory_mb: the default limits
    cluster.starting(tmp_path)
    early = cluster._early
    assert isinstance(early, FakeZygote) and early.limits == Limits()

    class Course:
        limits = Limits(memory_bytes=memory_mb * 2**20)

    taken = cluster._take_early_zygote(Course, unconfined=False)
    assert (taken is early) == reused and early.closed != reused and taken.limits == Course.limits
    assert cluster._early is None


# Run in a fresh process that pretends a GPU is there: torch.cuda._lazy_init is what torch calls when
# anything first uses CUDA (a cuda tensor, a cuda generator); here it notes the call instead.
PRETEND_A_GPU = """
import json, os, torch
started = []
torch.cuda.is_available = lambda: True
torch.cuda._lazy_init = lambda: started.append(1)
from grader.sealed.cluster import warm_up
warm_up()
from grader import expectations
print(json.dumps([len(started), os.environ.get("PYTORCH_NVML_BASED_CUDA_CHECK"), expectations.computed]))
"""


def test_the_warm_up_starts_no_cuda_before_the_pool_forks():
    """On a GPU machine, does the warm-up leave CUDA unstarted, so forked grading processes can start it?

    A process forked after its parent started CUDA cannot use it ("Cannot re-initialize CUDA in forked
    subprocess"): every cuda case would fail and every student lose the "any device" points.
    """
    proc = subprocess.run([sys.executable, "-c", PRETEND_A_GPU], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    cuda_starts, nvml_check, computed = json.loads(proc.stdout.strip().splitlines()[-1])
    assert cuda_starts == 0 and nvml_check == "1"
    assert computed >= 40  # the cpu cases did run
