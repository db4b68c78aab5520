"""Where the machine cannot confine student code, `grade` refuses; `--unconfined` grades, and says so everywhere."""

import json
import os
import subprocess
import sys

import pytest
from conftest import new_course

from grader import course, samples


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    root = new_course(tmp_path_factory.mktemp("course"))
    course.release(root)
    samples.write_submissions(root, ["pass_reference", "fail_mse_sum"])
    return root


def grade(root, *flags, env=None):
    return subprocess.run(
        [sys.executable, "-m", "grader", "--root", str(root), "grade", *flags],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


def test_grade_refuses_without_bubblewrap_and_records_nothing(released, tmp_path):
    """Without bubblewrap, does `grade` stop with the missing feature and the ways out, grading no one?"""
    no_bwrap = tmp_path / "bin"
    no_bwrap.mkdir()
    env = {**os.environ, "PATH": str(no_bwrap)}
    proc = grade(released, env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    said = " ".join(proc.stdout.split())
    assert "bubblewrap (`bwrap`) is not installed" in said and "--unconfined" in said and "autograde" in said
    assert course.scores(released) == {}  # nobody was graded weaker, nobody was recorded
    assert "Traceback" not in proc.stdout + proc.stderr


def test_unconfined_grading_says_so_in_output_report_and_gradebook(released):
    """With --unconfined, are the scores right and the missing sandbox in the output, report and gradebook?"""
    proc = grade(released, "--unconfined")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "graded WITHOUT the sandbox" in proc.stdout
    scores = course.scores(released)
    assert scores == {name: samples.expected_scores(name) for name in ("fail_mse_sum", "pass_reference")}
    report = json.loads((released / "autograded" / "sealed_results.json").read_text())
    assert report["sandbox"].startswith("graded WITHOUT the sandbox")
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url(released)) as gb:
        comment = gb.find_comment("mse", "lesson2_sgd", "lesson2_sgd", "pass_reference")
        assert "WITHOUT the sandbox" in (comment.auto_comment or "")
