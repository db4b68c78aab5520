"""Grade one submission, sealed: its cells run in a sandboxed worker, the hidden checks here."""

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from traitlets.config.loader import PyFileConfigLoader

from grader import ASSIGNMENT, FUNCTIONS, POINTS
from grader.course import NOTEBOOK
from grader.runner import run_checks
from grader.sealed.remote import SealedSubmission
from grader.sealed.sandbox import Limits
from grader.sealed.spawn import Worker
from grader.sealed.wire import Peer, PeerGone, PeerTimeout
from grader.verdict import describe

MAX_WORKER_STARTS = 6


@dataclass
class Assignment:
    """What grading needs from the course: grade cells as nbgrader restores them, and its settings."""

    grade_sources: dict[str, str]  # grade_id -> the instructor's cell (visible and hidden tests)
    visible_sources: dict[str, str]  # grade_id -> the release version (what feedback may show)
    ignore_stderr: str  # nbgrader's IgnorePattern.pattern
    cell_timeout: float  # nbgrader's Execute.timeout
    call_timeout: float = 10.0  # one call of a student function by a check
    limits: Limits = field(default_factory=Limits)

    @classmethod
    def load(cls, root: Path) -> "Assignment":
        config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
        nb_cells = {}
        for folder in ("source", "release"):
            nb = nbformat.read(root / folder / ASSIGNMENT / NOTEBOOK, as_version=4)
            nb_cells[folder] = {
                c.metadata.nbgrader.grade_id: c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
            }
        pattern = config.IgnorePattern.pattern if config.IgnorePattern.get("enabled") else ""
        sealed = config.SealedGrader
        limits = Limits(memory_bytes=int(sealed.get("memory_mb", Limits.memory_bytes // 2**20)) * 2**20)
        return cls(
            nb_cells["source"],
            nb_cells["release"],
            pattern or "",
            float(config.Execute.get("timeout", 30)),
            float(sealed.get("call_timeout", cls.call_timeout)),
            limits,
        )


@dataclass
class FunctionResult:
    """The sealed verdict on one function, and what the notebook itself showed for it."""

    points: float  # sealed score
    message: str = ""  # why points are missing, for the student (what the grade cell prints or raises)
    in_kernel: float | None = None  # the score nbgrader's rules give the grade cell as the worker ran it
    lost: list[str] = field(default_factory=list)  # the points-table items lost (grader/points.py)
    checks: dict[str, str] = field(default_factory=dict)  # check -> "passed", "failed" or "skipped" (all cases)
    mistakes: dict[str, str] = field(default_factory=dict)  # failed check -> its first message, in English


def not_graded(reason: str) -> FunctionResult:
    return FunctionResult(0.0, f"not graded: {reason}")


@dataclass
class SubmissionResult:
    student: str
    functions: dict[str, FunctionResult]
    problems: list[str] = field(default_factory=list)  # what went wrong beyond failed checks
    outputs: dict[int, list] = field(default_factory=dict)  # cell index -> events, for the feedback notebook
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds: worker start, student code, checks, ...

    @property
    def total(self) -> float:
        return sum(v.points for v in self.functions.values())

    @property
    def suspected_tampering(self) -> list[str]:
        """Functions whose grade cell showed more than the sealed checks give."""
        return [fn for fn, r in self.functions.items() if r.in_kernel is not None and r.in_kernel > r.points]


def grade_submission(student: str, path: Path, assignment: Assignment, zygote: str) -> SubmissionResult:
    """Every function's sealed score; a broken notebook, hang or crash costs only what it touches."""
    start = time.monotonic()
    result = SubmissionResult(student, {})
    try:
        nb = nbformat.read(path, as_version=4)
        cells, graded, ungraded = _cells_to_run(nb, assignment)
    except Exception as err:  # not JSON, not a notebook, unreadable: nothing can be graded
        reason = f"the notebook could not be read ({type(err).__name__}: {str(err).splitlines()[0][:200]})"
        cells, graded, ungraded = [], {}, {fn: reason for fn in FUNCTIONS}
    result.problems.extend(dict.fromkeys(ungraded.values()))
    for fn, reason in ungraded.items():
        result.functions[fn] = not_graded(reason)
    if graded:
        _Run(assignment, zygote, cells, graded, result).grade()
    result.seconds = time.monotonic() - start
    return result


def _cells_to_run(nb, assignment):
    """The code cells to run, grade cells restored from the source.

    -> (cells, {function: its grade cell's index}, {function that cannot be graded: why}).
    """
    seen: dict[str, list[int]] = {}
    cells = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in assignment.grade_sources:
            seen.setdefault(grade_id, []).append(index)
            cells.append((index, assignment.grade_sources[grade_id]))
        else:
            cells.append((index, str(cell.source)))
    graded, ungraded = {}, {}
    for fn in FUNCTIONS:
        where = seen.get(f"test_{fn}", [])
        if len(where) == 1:
            graded[fn] = where[0]
        elif where:
            ungraded[fn] = f"grade cell test_{fn} appears {len(where)} times (it must appear once): {fn} is not graded"
        else:
            ungraded[fn] = f"grade cell test_{fn} was deleted: {fn} is not graded"
    cells = [(i, src) for i, src in cells if not any(i in seen[g] for g in seen if len(seen[g]) > 1)]
    return cells, graded, ungraded


class _Run:
    """Runs a notebook in workers until every graded function has a verdict."""

    def __init__(self, assignment, zygote, cells, graded, result):
        self.assignment, self.zygote, self.cells, self.graded, self.result = assignment, zygote, cells, graded, result
        self.skip: set[int] = set()
        self.verdicts: dict[str, FunctionResult] = {}
        self.current_cell: int | None = None
        self.grading: str | None = None  # the function whose checks are running
        self.lost_in_check = False  # the last check ended with the worker killed

    def grade(self):
        for _ in range(MAX_WORKER_STARTS):
            if self._attempt():
                break
        reason = self.result.problems[-1] if self.result.problems else "the notebook never got that far"
        for fn in self.graded:
            verdict = self.verdicts.get(fn) or not_graded(reason)
            verdict.in_kernel = self._in_kernel_score(fn)
            self.result.functions[fn] = verdict

    def _attempt(self) -> bool:
        """One worker: run the cells, grade what is asked and what is left. -> finished."""
        self.lost_in_check = False
        try:
            started = time.monotonic()
            worker = Worker(self.zygote, self.assignment.limits)
            self._add_time("worker start", started)
        except Exception as err:
            self.result.problems.append(f"the sandbox could not start: {err}")
            return True
        peer = Peer(worker.sock, side=1, resolve=_no_calls)
        peer.extra_handlers.update(cell_start=self._cell_start(peer), grade=self._grade_handler(peer, worker))
        try:
            peer.deadline_after(self.assignment.cell_timeout)
            started, checks_before = time.monotonic(), self.result.timings.get("checks", 0.0)
            ran = peer.request({"op": "run", "cells": self.cells, "skip": sorted(self.skip)})
            # the cells' time, less the checks that grade cells ran meanwhile
            self._add_time("student code", started + self.result.timings.get("checks", 0.0) - checks_before)
            for cell in ran:
                self.result.outputs[int(cell["index"])] = cell["events"]
            for fn in self.graded:  # grade cells that errored before award(), or were never reached
                if fn not in self.verdicts:
                    self.verdicts[fn] = self._check(fn, peer, worker)
                    if self.lost_in_check:
                        return False  # the rest is graded in a fresh worker
            return True
        except (PeerGone, PeerTimeout) as err:
            self._after_loss(err)
            return False
        finally:
            worker.kill()

    def _cell_start(self, peer):
        def handler(message):
            self.current_cell = int(message["index"])
            peer.deadline_after(self.assignment.cell_timeout)

        return handler

    def _grade_handler(self, peer, worker):
        def handler(message):
            fn = str(message["function"])
            if fn not in self.graded:
                raise ValueError(f"no function {fn!r} is graded")
            if fn not in self.verdicts:
                self.verdicts[fn] = self._check(fn, peer, worker)
            peer.deadline_after(self.assignment.cell_timeout)
            verdict = self.verdicts[fn]
            return {"points": verdict.points, "message": verdict.message}

        return handler

    def _check(self, fn, peer, worker) -> FunctionResult:
        self.grading = fn
        submission = SealedSubmission(peer, self.assignment.call_timeout, on_lost=lambda reason: worker.kill())
        started = time.monotonic()
        report = run_checks(fn, submission)
        self._add_time("checks", started)
        self.grading = None
        self.lost_in_check = bool(submission.lost)
        if submission.lost:
            return FunctionResult(0.0, f"{fn} could not be graded: {submission.lost}")
        return FunctionResult(
            report.score,
            describe(fn, report.score, report.summary()),
            lost=report.lost,
            checks=report.outcomes(),
            mistakes=report.mistakes(),
        )

    def _add_time(self, part: str, since: float):
        self.result.timings[part] = self.result.timings.get(part, 0.0) + time.monotonic() - since

    def _after_loss(self, err):
        """The worker hung or died outside a check: skip that cell next time, as a timed-out cell is."""
        if self.lost_in_check:  # a check killed it: that function has its verdict, the cell may run again
            self.lost_in_check = False
            return
        if self.grading is not None:  # died inside a check that caught nothing: that function scores 0
            self.verdicts.setdefault(self.grading, FunctionResult(0.0, f"{self.grading} could not be graded: {err}"))
            self.grading = None
            return
        what = "ran longer than the cell time limit" if isinstance(err, PeerTimeout) else f"ended the process ({err})"
        self.result.problems.append(f"cell {self.current_cell} {what}; it was skipped")
        if self.current_cell is None or self.current_cell in self.skip:
            self.skip.update(i for i, _ in self.cells)  # cannot make progress: stop running cells
        self.skip.add(self.current_cell)
        self.result.outputs[self.current_cell] = [("error", type(err).__name__, what, "")]

    def _in_kernel_score(self, fn) -> float | None:
        """nbgrader's rule on the grade cell's outputs: error or stderr 0, first value partial, else full."""
        events = self.result.outputs.get(self.graded[fn])
        if events is None:
            return None
        points = float(POINTS[fn])
        for event in _merged(events):
            if event[0] == "error":
                return 0.0
            if event[0] == "stderr" and not (
                self.assignment.ignore_stderr and re.search(self.assignment.ignore_stderr, event[1])
            ):
                return 0.0
            if event[0] == "result":
                try:
                    return min(float(event[1]), points)
                except ValueError:
                    return points  # nbgrader gives full marks for a value that is not a number
        return points


def _merged(events):
    """Consecutive writes to one stream are one output, as in a notebook."""
    out = []
    for event in events:
        if out and event[0] in ("stdout", "stderr") and out[-1][0] == event[0]:
            out[-1] = (event[0], out[-1][1] + event[1])
        else:
            out.append(tuple(event))
    return out


def _no_calls(target):
    raise PermissionError("the grader serves no calls by name")
