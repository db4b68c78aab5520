"""What sealed grading writes through nbgrader's own autograde converter, for results a review must see.

Results are built here (no sandbox: tests/test_fidelity.py grades for real); grader.sealed.recording records
them into a released course as `python -m grader grade` does.
"""

import nbformat
import pytest
from conftest import new_course

from grader import ASSIGNMENT, POINTS, course, samples
from grader.course import NOTEBOOK
from grader.sealed.recording import SealedAutograde
from grader.sealed.session import Assignment, FunctionResult, SubmissionResult

REASON = "the code reads the checks' frames (cell 12, line 3)"


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    root = new_course(tmp_path_factory.mktemp("course"))
    course.release(root)
    return root, SealedAutograde(root, Assignment.load(root))


def submit(root, student, text=None):
    folder = root / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    if text is None:
        samples.write_submissions(root, ["pass_reference"])
        text = (root / "submitted" / "pass_reference" / ASSIGNMENT / NOTEBOOK).read_text()
    (folder / NOTEBOOK).write_text(text)
    (folder / "timestamp.txt").write_text("2026-11-20 11:00:00.000000 UTC")


def full_marks(student, **changed) -> SubmissionResult:
    functions = {fn: FunctionResult(float(p)) for fn, p in POINTS.items()}
    functions.update(changed)
    return SubmissionResult(student, functions)


def test_a_manual_reason_leaves_that_grade_for_manual_grading_with_the_reason(released):
    """Does a verdict with a manual_reason mark its grade (and so the notebook) for manual grading, with the
    reason as the function's comment and in the feedback, and leave the other grades alone?"""
    root, autograder = released
    submit(root, "flagged")
    autograder.record(full_marks("flagged", update=FunctionResult(6.0, manual_reason=REASON)))
    state = course.gradebook_state(root)["flagged"]
    assert {g: v["needs_manual_grade"] for g, v in state["grades"].items()} == {
        f"test_{fn}": fn == "update" for fn in POINTS
    }
    assert state["submission"]["needs_manual_grade"] and state["grades"]["test_update"]["auto_score"] == 6.0
    assert REASON in state["comments"]["update"]["auto_comment"]
    nb = nbformat.read(root / "autograded" / "flagged" / ASSIGNMENT / NOTEBOOK, as_version=4)
    [cell] = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_update"]
    assert any(REASON in o.get("text", "") for o in cell.outputs)


def test_suspected_tampering_is_left_for_manual_grading(released):
    """When the notebook's own run showed more points than the hidden checks give, is that grade left for
    manual grading, saying both numbers?"""
    root, autograder = released
    submit(root, "forger")
    autograder.record(full_marks("forger", mse=FunctionResult(0.0, "no points", in_kernel=4.0)))
    state = course.gradebook_state(root)["forger"]
    assert state["grades"]["test_mse"]["needs_manual_grade"] and state["grades"]["test_mse"]["auto_score"] == 0
    assert "showed 4 points" in state["comments"]["mse"]["auto_comment"]
    assert not state["grades"]["test_update"]["needs_manual_grade"]


def test_a_notebook_nbgrader_cannot_read_scores_zero_for_manual_grading(released):
    """Does a submission that is not JSON get 0 in every grade, marked for manual grading, with nbgrader's
    reason among the problems, instead of stopping the run?"""
    root, autograder = released
    submit(root, "broken", '{"cells": [')
    result = SubmissionResult("broken", {fn: FunctionResult(0.0, "not graded") for fn in POINTS})
    autograder.record(result)
    state = course.gradebook_state(root)["broken"]
    assert {g["auto_score"] for g in state["grades"].values()} == {0.0}
    assert all(g["needs_manual_grade"] for g in state["grades"].values())
    assert any("nbgrader could not autograde it" in p for p in result.problems)


def test_autograded_grade_cells_hold_only_their_visible_part(released):
    """Do the autograded notebook's grade cells (what feedback is made from) hold no hidden test?"""
    root, autograder = released
    submit(root, "honest")
    autograder.record(full_marks("honest"))
    text = (root / "autograded" / "honest" / ASSIGNMENT / NOTEBOOK).read_text()
    assert "BEGIN HIDDEN TESTS" not in text and "award(" not in text
    assert not course.gradebook_state(root)["honest"]["submission"]["needs_manual_grade"]


def test_student_markup_never_reaches_feedback_or_formgrader(released):
    """Are a student's HTML, JavaScript, SVG and a forged image kept out of the autograded notebook (what
    feedback and formgrader render), its plain text and real images kept?"""
    root, autograder = released
    submit(root, "marked_up")
    nb = nbformat.read(root / "submitted" / "marked_up" / ASSIGNMENT / NOTEBOOK, as_version=4)
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    png = "iVBORw0KGgoAAAANSUhEUg=="
    outputs = [
        nbformat.v4.new_output("display_data", {"text/html": "<script>alert(1)</script>", "text/plain": "<HTML>"}),
        nbformat.v4.new_output("display_data", {"application/javascript": "alert(2)"}),
        nbformat.v4.new_output(
            "display_data",
            {"image/png": png, "image/svg+xml": "<svg onload=alert(3)>", "text/plain": "<Figure>"},
            metadata={"image/png": {"width": "1 onerror=alert(4)", "height": 200}},
        ),
        nbformat.v4.new_output("execute_result", {"image/png": '" onerror="alert(5)', "text/plain": "x"}),
    ]
    result = full_marks("marked_up")
    result.outputs[first_code] = outputs
    autograder.record(result)
    autograded = nbformat.read(root / "autograded" / "marked_up" / ASSIGNMENT / NOTEBOOK, as_version=4)
    kept = autograded.cells[first_code].outputs
    text = nbformat.writes(autograded)
    for markup in ("<script>", "alert(2)", "<svg", "onerror", "alert(5)"):
        assert markup not in text
    assert [o.data.get("text/plain") for o in kept] == [
        "<HTML>",
        "[application/javascript output, not shown in feedback]",
        "<Figure>",
        "x",
    ]
    assert kept[2].data["image/png"] == png and kept[2].metadata == {"image/png": {"height": 200}}
