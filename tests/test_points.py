"""The points table: complete, documented, and turned into scores by the rules README.md states."""

import pytest

from grader import FUNCTIONS, POINTS, points
from grader.course import ROOT
from grader.runner import CheckResult


@pytest.mark.parametrize("function", FUNCTIONS)
def test_table_prices_every_hidden_check_and_nothing_else(function):
    """Does every hidden check of the function have points in the table, and every table row a check?"""
    assert set(points.TABLE[function]) - {points.ANY_DEVICE} == set(points.questions(function))
    assert all(p > 0 for p in points.TABLE[function].values())
    assert POINTS[function] == sum(points.TABLE[function].values())
    assert points.REQUIRED & set(points.TABLE[function]), "each function has a core check"


def test_readme_shows_the_current_points_table():
    """Does README.md show the table `python -m grader points` prints? (paste it in if not)"""
    assert points.markdown_table() in (ROOT / "README.md").read_text()


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
