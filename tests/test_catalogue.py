"""Grading accuracy: every correct variant accepted, every wrong one rejected by the check it names."""

import ast
import math
from pathlib import Path

import pytest
import torch

import lesson_ref
from grader import FUNCTIONS
from grader.runner import run_checks
from grader.submission import Submission

CATALOGUE = Path(__file__).parent / "catalogue"
ENTRIES = [(fn, path) for fn in FUNCTIONS for path in sorted((CATALOGUE / fn).glob("*.py"))]


def caught_by(path: Path) -> str | None:
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "CAUGHT_BY":
            return ast.literal_eval(node.value)
    return None


def submission_with(path: Path) -> Submission:
    """The reference functions, with the one in `path` written the student's way."""
    scope = {"__name__": "__main__", "torch": torch, "nn": torch.nn, "math": math,
             **{fn: getattr(lesson_ref, fn) for fn in FUNCTIONS}}
    exec(compile(path.read_text(), str(path), "exec"), scope)
    return Submission(scope)


@pytest.fixture(scope="module")
def verdicts():
    """Every catalogue entry graded by the hidden checks of its function."""
    return {(fn, path.stem): run_checks(fn, submission_with(path)) for fn, path in ENTRIES}


def test_catalogue_is_large_enough():
    """Does the catalogue hold at least 25 correct and 50 wrong solutions?"""
    names = [path.stem for _, path in ENTRIES]
    assert sum(n.startswith("pass_") for n in names) >= 25 and sum(n.startswith("fail_") for n in names) >= 50


def test_no_false_reject_and_no_miss(verdicts, capsys):
    """Is every correct solution accepted and every wrong one rejected? (prints the confusion table)"""
    rows, false_rejects, misses = [], [], []
    for fn in FUNCTIONS:
        counts = {"pass accepted": 0, "pass rejected": 0, "fail rejected": 0, "fail accepted": 0}
        for (function, name), report in verdicts.items():
            if function != fn:
                continue
            expected = "pass" if name.startswith("pass_") else "fail"
            outcome = "accepted" if report.passed else "rejected"
            counts[f"{expected} {outcome}"] += 1
            if expected == "pass" and not report.passed:
                false_rejects.append(f"{fn}/{name}:\n{report.summary()}")
            if expected == "fail" and report.passed:
                misses.append(f"{fn}/{name}")
        rows.append(f"{fn:<15}" + "".join(f"{v:>16}" for v in counts.values()))
    with capsys.disabled():
        print("\n" + f"{'function':<15}" + "".join(f"{h:>16}" for h in counts) + "\n" + "\n".join(rows))
    assert not false_rejects, "\n".join(false_rejects)
    assert not misses, misses


@pytest.mark.parametrize("fn, path", [(fn, p) for fn, p in ENTRIES if p.stem.startswith("fail_")],
                         ids=lambda v: v.stem if isinstance(v, Path) else v)
def test_wrong_solution_is_caught_by_the_check_it_names(verdicts, fn, path):
    """Is each wrong solution caught by the check its file names (the traced cause)?"""
    failed = {r.check for r in verdicts[(fn, path.stem)].failed}
    assert caught_by(path) in failed, f"failed checks: {sorted(failed)}"
