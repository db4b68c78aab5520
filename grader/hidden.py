"""What a notebook's hidden test cell calls: run the hidden checks, show the points as the cell's value."""

from grader.runner import run_checks
from grader.submission import Submission
from grader.verdict import HiddenChecksFailed, describe, show_verdict  # noqa: F401 (the notebook may name the error)


def award(function: str, namespace: dict) -> float:
    """The function's points (grader/points.py) as the cell's value; what cost points is printed."""
    checks = run_checks(function, Submission(namespace))
    return show_verdict(checks.score, describe(function, checks.score, checks.summary()))
