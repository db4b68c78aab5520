"""The points table: complete, documented, and turned into scores by the rules docs/how-grading-works.md states."""

import nbformat
import pytest

from grader import FUNCTIONS, POINTS, points
from grader import course as grader_course
from grader.course import ROOT
from grader.runner import CheckResult
from tests.conftest import SOURCE, new_course


@pytest.mark.parametrize("function", FUNCTIONS)
def test_table_prices_every_hidden_check_and_nothing_else(function):
    """Does every hidden check of the function have points in the table, and every table row a check?"""
    assert set(points.TABLE[function]) - {points.ANY_DEVICE} == set(points.questions(function))
    assert all(p > 0 for p in points.TABLE[function].values())
    assert POINTS[function] == sum(points.TABLE[function].values())
    assert points.REQUIRED & set(points.TABLE[function]), "each function has a core check"


def test_docs_show_the_current_points_table():
    """Does docs/how-grading-works.md show the table `python -m grader points` prints? (paste it in if not)"""
    assert points.markdown_table() in (ROOT / points.DOC).read_text()


def result(check, outcome, device="cpu"):
    return CheckResult(check, "", device, outcome, device=device)


VALUE, SHAPE = "test_mse_value_matches_reference", "test_mse_returns_0dim_tensor_of_input_dtype_and_device"
OTHERS = ["test_mse_gradient_matches_reference", "test_mse_leaves_inputs_unchanged"]


def all_pass():
    return [
        result(VALUE, "passed"),
        result(SHAPE, "passed"),
        result(SHAPE, "passed", "meta"),
        *(result(c, "passed") for c in OTHERS),
    ]


def test_a_failure_only_off_the_cpu_costs_exactly_the_device_points():
    """Does a check that passes on cpu and fails on meta cost the "any device" points and nothing else?"""
    results = [r for r in all_pass() if r.device != "meta"] + [result(SHAPE, "failed", "meta")]
    assert points.lost_items("mse", results) == [points.ANY_DEVICE]
    assert points.score("mse", [points.ANY_DEVICE]) == POINTS["mse"] - points.TABLE["mse"][points.ANY_DEVICE]


def test_a_failure_on_every_device_costs_the_check_only():
    """Does a check that fails on cpu and on meta cost its own points, without the device points too?"""
    results = [r for r in all_pass() if r.check != SHAPE] + [result(SHAPE, "failed"), result(SHAPE, "failed", "meta")]
    assert points.lost_items("mse", results) == [SHAPE]


def test_skipped_device_cases_cost_nothing():
    """Do meta cases that skip (code that reads values) leave the device points alone?"""
    results = [r for r in all_pass() if r.device != "meta"] + [result(SHAPE, "skipped", "meta")]
    assert points.lost_items("mse", results) == []


def test_failing_a_required_check_scores_the_function_zero():
    """Does losing the core check score 0, however much else passed?"""
    results = [r for r in all_pass() if r.check != VALUE] + [result(VALUE, "failed")]
    assert points.lost_items("mse", results) == [VALUE]
    assert points.score("mse", [VALUE]) == 0.0


def test_nothing_earned_earns_no_device_points():
    """Does a function that fails every check get no "any device" points either?"""
    results = [result(r.check, "failed", r.device) for r in all_pass()]
    assert points.ANY_DEVICE in points.lost_items("mse", results)


def test_a_check_missing_from_the_table_is_an_error():
    """Is a hidden check without points refused, instead of silently worth nothing?"""
    with pytest.raises(KeyError, match="not in the points table"):
        points.lost_items("mse", [result("test_mse_something_new", "passed")])


def notebook_with(tmp_path, change):
    """A copy of the source notebook after `change(nb)`."""
    nb = nbformat.read(SOURCE, as_version=4)
    change(nb)
    path = tmp_path / "lesson2_sgd.ipynb"
    nbformat.write(nb, path)
    return path


def grade_cell(nb, function):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == f"test_{function}")


def test_notebook_and_docs_state_the_tables_points():
    """Do the notebook's grade cells, its exercise text and the docs' table give every function its points?"""
    assert points.mismatches(SOURCE, ROOT / points.DOC) == []


def test_grade_cell_points_that_differ_are_named(tmp_path):
    """Is a grade cell whose metadata points differ from the table reported with both numbers?"""
    path = notebook_with(tmp_path, lambda nb: grade_cell(nb, "update").metadata["nbgrader"].update(points=7.0))
    [problem] = points.mismatches(path)
    assert "test_update" in problem and "7.0 points" in problem and "gives `update` 6" in problem


def test_exercise_text_points_that_differ_are_named(tmp_path):
    """Is an exercise heading that states other points than the table reported?"""

    def change(nb):
        cell = next(c for c in nb.cells if c.cell_type == "markdown" and "write `mse(" in c.source)
        cell.source = cell.source.replace("(4 points", "(5 points", 1)

    [problem] = points.mismatches(notebook_with(tmp_path, change))
    assert "says `mse` is worth 5 points" in problem


def test_release_stops_on_a_points_mismatch_before_nbgrader_runs(tmp_path, monkeypatch):
    """Does `release` refuse, with the places named, when the notebook's points differ from the table?"""
    course = new_course(tmp_path)
    path = course / "source" / "lesson2_sgd" / "lesson2_sgd.ipynb"
    nb = nbformat.read(path, as_version=4)
    grade_cell(nb, "mse").metadata["nbgrader"]["points"] = 5.0
    nbformat.write(nb, path)
    monkeypatch.setattr(
        grader_course, "nbgrader", lambda *a, **k: pytest.fail("nbgrader ran despite the points mismatch")
    )
    with pytest.raises(points.PointsMismatch, match=r"grade cell test_mse\) is worth 5\.0 points"):
        grader_course.release(course)


def test_a_changed_table_is_caught_in_the_notebook_and_docs(monkeypatch):
    """If someone changes a function's points in the table alone, do the notebook and docs checks fail?"""
    table = {**points.TABLE, "mse": {**points.TABLE["mse"], points.ANY_DEVICE: 1.5}}
    monkeypatch.setattr(points, "TABLE", table)
    monkeypatch.setattr(points, "POINTS", {fn: sum(items.values()) for fn, items in table.items()})
    problems = points.mismatches(SOURCE, ROOT / points.DOC)
    assert any("test_mse" in p for p in problems) and any("says `mse` is worth 4" in p for p in problems)
    assert any("how-grading-works.md" in p for p in problems)
