"""Grading on Dask: a worker killed in the middle of a submission loses no result and duplicates none."""

import os
import signal
import threading
import time

import nbformat
import pytest
from conftest import new_course
from distributed import Client, LocalCluster
from nbgrader.api import Gradebook

from grader import ASSIGNMENT, course, samples
from grader.sealed.pool import grade_course

SLOW = "pass_reference_slow"  # a perfect notebook with a 4-second cell: the one whose worker gets killed


@pytest.fixture(scope="module")
def killed_run(tmp_path_factory):
    """The samples graded on a 2-worker cluster given by address; the worker grading SLOW is SIGKILLed."""
    root = new_course(tmp_path_factory.mktemp("course"))
    course.release(root)
    samples.write_submissions(root)
    nb = nbformat.read(root / "submitted" / "pass_reference" / ASSIGNMENT / course.NOTEBOOK, as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell("import time\ntime.sleep(4)"))
    (root / "submitted" / SLOW / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(nb, root / "submitted" / SLOW / ASSIGNMENT / course.NOTEBOOK)
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, Client(cluster) as client:
        killed = []
        killer = threading.Thread(target=kill_the_worker_grading, args=(client, SLOW, killed), daemon=True)
        killer.start()
        results = grade_course(root, scheduler=cluster.scheduler_address, show_progress=False)
        killer.join(timeout=5)
    return root, results, killed


def kill_the_worker_grading(client, student, killed, limit=120.0):
    """Once `student`'s task has run on a worker for a second, SIGKILL that worker's process."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for worker, keys in client.processing().items():
            if any(str(key).endswith(f"-{student}") for key in keys):
                time.sleep(1.0)
                pid = client.run(os.getpid, workers=[worker])[worker]
                os.kill(pid, signal.SIGKILL)
                killed.append((worker, pid))
                return
        time.sleep(0.05)


def test_a_worker_was_killed_mid_task(killed_run):
    """Did the test really kill a worker while it graded the slow submission?"""
    assert len(killed_run[2]) == 1


def test_killed_worker_loses_no_result_and_duplicates_none(killed_run):
    """Does every submission get exactly one result, with the scores its name promises, the slow one too?"""
    root, results, _ = killed_run
    students = [r.student for r in results]
    assert sorted(students) == sorted([*samples.sample_names(), SLOW]) and len(set(students)) == len(students)
    expected = {name: samples.expected_scores(name) for name in samples.sample_names()}
    expected[SLOW] = samples.expected_scores("pass_reference")
    assert {r.student: {fn: v.points for fn, v in r.functions.items()} for r in results} == expected
    assert course.scores(root) == expected


def test_gradebook_holds_one_submission_per_student(killed_run):
    """After the retry, does the gradebook hold each student's submission once?"""
    root, results, _ = killed_run
    with Gradebook(course.db_url(root)) as gb:
        submitted = [s.student.id for s in gb.find_assignment(ASSIGNMENT).submissions]
    assert sorted(submitted) == sorted(r.student for r in results)
