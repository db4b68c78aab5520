"""Grading accuracy: every correct variant gets full marks, every wrong one loses exactly what it names."""

import math
from pathlib import Path

import nbformat
import pytest
import torch

import lesson_ref
from grader import FUNCTIONS, POINTS, points, samples
from grader.runner import run_checks
from grader.submission import Submission

CATALOGUE = Path(__file__).parent / "catalogue"
ENTRIES = [(fn, path) for fn in FUNCTIONS for path in sorted((CATALOGUE / fn).glob("*.py"))]


def caught_by(path: Path) -> tuple[str, ...]:
    """The points-table items a wrong solution loses: the checks that catch it, and "any device"."""
    return tuple(samples.constants(path, "CAUGHT_BY").get("CAUGHT_BY", ()))


def submission_with(path: Path) -> Submission:
    """The reference functions, with the one in `path` written the student's way."""
    scope = {
        "__name__": "__main__",
        "torch": torch,
        "nn": torch.nn,
        "math": math,
        **{fn: getattr(lesson_ref, fn) for fn in FUNCTIONS},
    }
    exec(compile(path.read_text(), str(path), "exec"), scope)
    return Submission(scope)


@pytest.fixture(scope="module")
def verdicts():
    """Every catalogue entry graded by the hidden checks of its function."""
    return {(fn, path.stem): run_checks(fn, submission_with(path)) for fn, path in ENTRIES}


def test_catalogue_is_large_enough():
    """Does the catalogue hold at least 150 solutions, 50 correct and 100 wrong, each wrong one naming its checks?"""
    names = [path.stem for _, path in ENTRIES]
    assert len(names) >= 150
    assert sum(n.startswith("pass_") for n in names) >= 50 and sum(n.startswith("fail_") for n in names) >= 100
    assert all(caught_by(path) for _, path in ENTRIES if path.stem.startswith("fail_"))


def test_no_false_reject_and_no_miss(verdicts, capsys):
    """Does every correct solution get full marks and every wrong one less? (prints the confusion table)

    "fail partial" counts the wrong solutions that kept some points (the share of what they got right).
    """
    header = ["pass accepted", "pass rejected", "fail rejected", "fail accepted", "fail partial", "mean fail score"]
    rows, false_rejects, misses = [], [], []
    for fn in FUNCTIONS:
        counts = dict.fromkeys(header[:5], 0)
        fail_scores = []
        for (function, name), checks in verdicts.items():
            if function != fn:
                continue
            expected = "pass" if name.startswith("pass_") else "fail"
            counts[f"{expected} {'accepted' if checks.passed else 'rejected'}"] += 1
            if expected == "pass" and not checks.passed:
                false_rejects.append(f"{fn}/{name}:\n{checks.summary()}")
            if expected == "fail":
                fail_scores.append(checks.score)
                counts["fail partial"] += 0 < checks.score < POINTS[fn]
                if checks.passed:
                    misses.append(f"{fn}/{name}")
        mean = f"{sum(fail_scores) / len(fail_scores):.2f}/{POINTS[fn]:g}"
        rows.append(f"{fn:<15}" + "".join(f"{v:>16}" for v in [*counts.values(), mean]))
    with capsys.disabled():
        print("\n" + f"{'function':<15}" + "".join(f"{h:>16}" for h in header) + "\n" + "\n".join(rows))
    assert not false_rejects, "\n".join(false_rejects)
    assert not misses, misses


WRONG = [(fn, p) for fn, p in ENTRIES if p.stem.startswith("fail_")]


@pytest.mark.parametrize("fn, path", WRONG, ids=lambda v: v.stem if isinstance(v, Path) else v)
def test_wrong_solution_loses_exactly_the_points_of_the_checks_it_names(verdicts, fn, path):
    """Does each wrong solution lose the points of exactly the checks its file names (the traced cause)?"""
    checks = verdicts[(fn, path.stem)]
    assert caught_by(path), f"{path.name} names no CAUGHT_BY"
    assert checks.lost == [item for item in points.TABLE[fn] if item in caught_by(path)], checks.summary()
    assert checks.score == points.score(fn, list(caught_by(path)))


@pytest.mark.parametrize(
    "fn, path",
    [(fn, p) for fn, p in WRONG if caught_by(p) == (points.ANY_DEVICE,)],
    ids=lambda v: v.stem if isinstance(v, Path) else v,
)
def test_cpu_only_solution_loses_exactly_the_device_points(verdicts, fn, path):
    """Does a solution that works only on the CPU lose the "any device" points and nothing else?"""
    assert verdicts[(fn, path.stem)].score == POINTS[fn] - points.TABLE[fn][points.ANY_DEVICE]


def twins(checks, device):
    """(check, case without its device) -> (outcome on the cpu, outcome on `device`), where both ran."""
    by_case = {}
    for r in checks.results:
        key = (r.check, "-".join("*" if part == r.device else part for part in r.case.split("-")))
        by_case.setdefault(key, {})[r.device] = r.outcome
    return {
        key: (o["cpu"], o[device]) for key, o in by_case.items() if "cpu" in o and o.get(device) in ("passed", "failed")
    }


@pytest.mark.parametrize(
    "device",
    [
        "meta",
        pytest.param(
            "cuda",
            marks=pytest.mark.skipif(
                not torch.cuda.is_available(),
                reason="no CUDA GPU on this machine: cuda agreement is checked where one exists",
            ),
        ),
    ],
)
def test_every_check_agrees_across_devices(verdicts, device):
    """Does every check give the same verdict on `device` as on the cpu, except for the device mistakes?

    meta judges structure only (shapes, dtypes, devices) and skips, saying so, where code reads values.
    """
    compared, disagreements = 0, []
    for (fn, name), checks in verdicts.items():
        device_bug = points.ANY_DEVICE in caught_by(CATALOGUE / fn / f"{name}.py")
        for key, (cpu, other) in twins(checks, device).items():
            compared += 1
            if cpu != other and not (device_bug and cpu == "passed"):
                disagreements.append(f"{fn}/{name} {key}: cpu {cpu}, {device} {other}")
    assert compared > 100 and not disagreements, disagreements


# -- sealed: the same entries graded by a sandboxed worker ---------------------------------------------------


@pytest.mark.e2e
def test_every_entry_scores_the_same_sealed(source_nb, release_nb):
    """Does sealed grading give every catalogue entry the score the in-kernel checks give it?

    Entries are graded four at a time (one per function, the notebook's solution for the rest): a notebook
    per group, each function's sealed score compared with what its name and CAUGHT_BY promise.
    """
    from itertools import zip_longest

    from grader.course import ROOT
    from grader.sealed import intake
    from grader.sealed.session import Assignment, grade_submission
    from grader.sealed.spawn import Zygote

    assignment = Assignment.load(ROOT)
    zygote = Zygote(assignment.limits)
    zygote.wait_ready()
    solutions = samples.solution_sources(source_nb)
    by_function = [[p for f, p in ENTRIES if f == fn] for fn in FUNCTIONS]
    differences = []
    try:
        for i, group in enumerate(zip_longest(*by_function)):
            own = {fn: path.read_text() for fn, path in zip(FUNCTIONS, group, strict=True) if path is not None}
            notebook = nbformat.writes(samples.filled_notebook(release_nb, solutions, own))
            result = grade_submission(f"group{i}", intake.Handed(notebook.encode()), assignment, zygote)
            for fn, entry in zip(FUNCTIONS, group, strict=True):
                if entry is None:
                    continue
                expected = points.score(fn, list(caught_by(entry))) if entry.stem.startswith("fail_") else POINTS[fn]
                got = result.functions[fn].points
                if got != expected:
                    differences.append(
                        f"{fn}/{entry.stem}: sealed {got}, expected {expected}: {result.functions[fn].message}"
                    )
    finally:
        zygote.close()
    assert not differences, "\n".join(differences)
