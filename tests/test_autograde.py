"""Stock nbgrader, for real: generate_assignment + autograde (in the student's kernel) on the samples."""

import re
import subprocess
import sys

import nbformat
import pytest
from conftest import new_course

from grader import POINTS, course, samples

BROKEN = "broken_not_json"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """release, samples, stock autograde, scores on a fresh course, with one notebook that is not even JSON."""
    root = new_course(tmp_path_factory.mktemp("course"))
    broken = root / "submitted" / BROKEN / "lesson2_sgd" / "lesson2_sgd.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": [')
    out = []
    for step in ("release", "samples", "autograde", "scores"):
        proc = subprocess.run(
            [sys.executable, "-m", "grader", "--root", str(root), step], capture_output=True, text=True, timeout=600
        )
        out.append(proc)
        if proc.returncode:
            break
    return root, subprocess.CompletedProcess(
        step, proc.returncode, "".join(p.stdout for p in out), "".join(p.stderr for p in out)
    )


@pytest.mark.parametrize("name", samples.sample_names())
def test_sample_gets_the_score_per_function_its_name_says(graded, name):
    """Does nbgrader, with the hidden checks, give each sample exactly its expected score per function?"""
    root, _ = graded
    assert course.scores(root)[name] == samples.expected_scores(name)


def test_scores_command_prints_every_sample_as_expected(graded):
    """Do the commands exit 0, and does `scores` print a row per sample, each marked as expected?"""
    _, proc = graded
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = [line for line in proc.stdout.splitlines() if line.startswith("│")]
    for name in samples.sample_names():
        row = next(r for r in rows if f"│ {name} " in r)
        assert row.rstrip("│ ").endswith("yes"), row


def test_a_broken_notebook_is_reported_and_the_others_are_graded(graded):
    """Does a notebook that is not JSON get a clear message and 0, without stopping the others?"""
    root, proc = graded
    assert f"{BROKEN}: nbgrader could not grade this notebook" in proc.stdout
    table = course.scores(root)
    assert sum(table.get(BROKEN, {}).values()) == 0
    assert set(samples.sample_names()) <= set(table)


def test_grade_cells_show_their_points_as_numbers_when_autograded(graded):
    """In the autograded perfect notebook, does each grade cell show its points and nothing on stderr?"""
    root, _ = graded
    nb = nbformat.read(root / "autograded" / "pass_reference" / "lesson2_sgd" / "lesson2_sgd.ipynb", as_version=4)
    grade_cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(grade_cells) == len(POINTS)
    for cell in grade_cells:
        assert not [o for o in cell.outputs if o.output_type == "error" or o.get("name") == "stderr"]
        values = [float(o.data["text/plain"]) for o in cell.outputs if o.output_type == "execute_result"]
        assert values == [cell.metadata.nbgrader.points]


def grade_cell(root, student, function):
    notebook = root / "autograded" / student / "lesson2_sgd" / "lesson2_sgd.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == f"test_{function}")


def test_failed_hidden_checks_are_explained_in_the_autograded_notebook(graded):
    """Does a zero-point function's grade cell fail, naming the failed check and the likely mistake?"""
    cell = grade_cell(graded[0], "fail_mse_sum", "mse")
    error = next(o for o in cell.outputs if o.output_type == "error")
    assert error.ename == "HiddenChecksFailed" and "did you sum instead of taking the mean?" in error.evalue


def test_partial_credit_is_shown_as_a_number_after_what_cost_points(graded):
    """Does a partly right function's grade cell print what cost points (stdout), then show the points left?"""
    cell = grade_cell(graded[0], "fail_minibatch_sgd_no_shuffle", "minibatch_sgd")
    assert [o.output_type for o in cell.outputs] == ["stream", "execute_result"] and cell.outputs[0].name == "stdout"
    printed = cell.outputs[0].text
    assert "The rows came in their original order" in printed and "行按原来的顺序出现" in printed
    assert (
        float(cell.outputs[1].data["text/plain"])
        == samples.expected_scores("fail_minibatch_sgd_no_shuffle")["minibatch_sgd"]
        < cell.metadata.nbgrader.points
    )


def test_animation_is_not_drawn_while_grading(graded):
    """Does autograding skip drawing the animation frames (NBGRADER_EXECUTION is set)?"""
    root, _ = graded
    nb = nbformat.read(root / "autograded" / "pass_reference" / "lesson2_sgd" / "lesson2_sgd.ipynb", as_version=4)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if "text/html" in o.get("data", {})]


def test_autograde_says_where_its_time_went(graded):
    """Does `autograde` end with a line giving nbgrader's start-up, the rate and seconds per submission?"""
    _, proc = graded
    students = len(samples.sample_names()) + 1  # and the broken one
    assert re.search(
        rf"^time: first student after [\d.]+ s \(nbgrader's start-up\); {students} graded in [\d.]+ s "
        r"\([\d.]+/s\), [\d.]+ s per submission$",
        proc.stdout,
        re.M,
    ), proc.stdout[-2000:]
