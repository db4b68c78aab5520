"""Where grading runs: on Dask from the command line, a worker killed mid-batch loses and duplicates nothing;
on one machine, two gradings at once do not meet."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from conftest import new_course
from distributed import Client
from nbgrader.api import Gradebook

from grader import ASSIGNMENT, course, samples
from grader.sealed.batch import grade_course

SLOW = "pass_reference_slow"  # a perfect notebook with a 4-second cell: the one whose worker gets killed
DASK = Path(sys.executable).parent / "dask"


def start(*args, log):
    return subprocess.Popen([str(DASK), *args], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """`dask scheduler` and two `dask worker` processes (one thread, no nanny: a killed one stays dead)."""
    folder = tmp_path_factory.mktemp("dask")
    file = folder / "scheduler.json"
    log = open(folder / "dask.log", "w")
    procs = [
        start("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", file, log=log)
    ]
    try:
        deadline = time.monotonic() + 60
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        for i in range(2):
            args = ["worker", "--scheduler-file", file, "--nthreads", "1", "--no-nanny", "--no-dashboard"]
            procs.append(start(*args, "--name", f"w{i}", log=log))
        address = json.loads(file.read_text())["address"]
        with Client(address) as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def killed_run(scheduler, tmp_path_factory):
    """The samples graded through --scheduler on the command-line cluster; the worker grading SLOW is SIGKILLed."""
    root = new_course(tmp_path_factory.mktemp("course"))
    course.release(root)
    samples.write_submissions(root)
    nb = nbformat.read(root / "submitted" / "pass_reference" / ASSIGNMENT / course.NOTEBOOK, as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell("import time\ntime.sleep(4)"))
    (root / "submitted" / SLOW / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(nb, root / "submitted" / SLOW / ASSIGNMENT / course.NOTEBOOK)
    with Client(scheduler) as client:
        killed = []
        killer = threading.Thread(target=kill_the_worker_grading, args=(client, SLOW, killed), daemon=True)
        killer.start()
        results = grade_course(root, scheduler=scheduler, show_progress=False)
        killer.join(timeout=5)
    return root, results, killed


def kill_the_worker_grading(client, student, killed, limit=300.0):
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


def test_two_local_gradings_at_once_do_not_clash(tmp_path):
    """Two `python -m grader grade` on one machine at the same time: both grade right, neither wants a port?"""
    picked = ["pass_reference", "fail_mse_sum"]
    roots = []
    for name in ("a", "b"):
        root = new_course(tmp_path / name)
        course.release(root)
        samples.write_submissions(root, picked)
        roots.append(root)
    command = [sys.executable, "-m", "grader", "grade", "--jobs", "1", "--root"]
    runs = [
        subprocess.Popen([*command, str(r)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for r in roots
    ]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    for root, run, output in zip(roots, runs, outputs, strict=True):
        assert run.returncode == 0, output[-3000:]
        assert "8787" not in output and "already in use" not in output
        assert course.scores(root) == {name: samples.expected_scores(name) for name in picked}
