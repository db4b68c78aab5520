"""What a notebook's hidden test cell calls: run the hidden checks, show the points or fail."""

from grader import POINTS
from grader.runner import run_checks
from grader.submission import Submission


class HiddenChecksFailed(AssertionError):
    """Some hidden check of a function failed; the message lists which and why."""


def award(function: str, namespace: dict) -> float:
    """The function's points when every hidden check passes; else raise with the failures listed."""
    report = run_checks(function, Submission(namespace))
    if not report.passed:
        raise HiddenChecksFailed(f"`{function}` failed hidden checks:\n{report.summary()}")
    return float(POINTS[function])
