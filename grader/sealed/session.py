"""Grade one submission, sealed: its cells run in a sandboxed worker, the hidden checks here."""

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from traitlets.config.loader import PyFileConfigLoader

from grader import ASSIGNMENT, FUNCTIONS, POINTS
from grader.course import NOTEBOOK
from grader.runner import CheckOne, run_checks, run_checks_together
from grader.sealed import gpu, intake, scan
from grader.sealed.frames import BadFrame, PeerGone, PeerTimeout
from grader.sealed.grader_end import GraderEnd
from grader.sealed.peer import RemoteError
from grader.sealed.remote import SealedSubmission
from grader.sealed.sandbox import Limits
from grader.sealed.spawn import Worker, Zygote
from grader.verdict import describe

MAX_WORKER_STARTS = 6


@dataclass
class Assignment:
    """What grading needs from the course: grade cells as nbgrader restores them, and its settings."""

    grade_sources: dict[str, str]  # grade_id -> the instructor's cell (visible and hidden tests), never sent out
    visible_sources: dict[str, str]  # grade_id -> the release version (what the worker runs, what feedback shows)
    ignore_stderr: str  # nbgrader's IgnorePattern.pattern
    cell_timeout: float  # nbgrader's Execute.timeout
    call_timeout: float = 10.0  # one call of a student function by a check
    submission_budget: float = 150.0  # wall seconds for a whole submission; past it, the remaining checks score 0
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
        for grade_id, source in nb_cells["source"].items():
            check_hidden_part(grade_id, source, nb_cells["release"].get(grade_id))
        pattern = config.IgnorePattern.pattern if config.IgnorePattern.get("enabled") else ""
        sealed = config.SealedGrader
        limits = Limits(memory_bytes=int(sealed.get("memory_mb", Limits.memory_bytes // 2**20)) * 2**20)
        return cls(
            nb_cells["source"],
            nb_cells["release"],
            pattern or "",
            float(config.Execute.get("timeout", 30)),
            float(sealed.get("call_timeout", cls.call_timeout)),
            float(sealed.get("submission_budget", cls.submission_budget)),
            limits,
        )


class UnknownHiddenTests(ValueError):
    """A grade cell's hidden part is not the award() call that the sealed grader answers in its place."""


def check_hidden_part(grade_id: str, source: str, release: str | None) -> None:
    """Raise UnknownHiddenTests unless the instructor's grade cell is its release text then `award("<fn>", ...)`.

    A worker runs the release text and the grader answers the rest (worker.py): other hidden code would never run.
    """
    fn = grade_id.removeprefix("test_")
    hidden = source[len(release) :] if release is not None and source.startswith(release) else None
    expected = HIDDEN_AWARD.format(fn=re.escape(fn))
    if fn not in FUNCTIONS or hidden is None or not re.fullmatch(expected, hidden.strip()):
        raise UnknownHiddenTests(
            f"grade cell {grade_id}: sealed grading runs its release text and answers the hidden part itself, "
            f'so that part must be `from grader.hidden import award` and `award("{fn}", globals())` between '
            "### BEGIN HIDDEN TESTS and ### END HIDDEN TESTS, at the end of the cell"
        )


HIDDEN_AWARD = (
    r"### BEGIN HIDDEN TESTS\s+from grader\.hidden import award\s+"
    r"award\(\s*[\"']{fn}[\"']\s*,\s*globals\(\)\s*\)\s+### END HIDDEN TESTS"
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
    manual_reason: str | None = None  # why an instructor should look at this function (needs_manual_grade)


def not_graded(reason: str) -> FunctionResult:
    return FunctionResult(0.0, f"not graded: {reason}")


@dataclass
class SubmissionResult:
    student: str
    functions: dict[str, FunctionResult]
    problems: list[str] = field(default_factory=list)  # what went wrong beyond failed checks
    rejected: str | None = None  # why the submitted file was not read at all (grader/sealed/intake.py)
    outputs: dict[int, list] = field(default_factory=dict)  # cell index -> its nbformat v4 output dicts
    execution_counts: dict[int, int | None] = field(default_factory=dict)  # cell index -> In[n], as nbclient sets
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds: worker start, student code, checks, ...

    @property
    def total(self) -> float:
        return sum(v.points for v in self.functions.values())

    @property
    def suspected_tampering(self) -> list[str]:
        """Functions whose grade cell showed more than the sealed checks give."""
        return [fn for fn, r in self.functions.items() if r.in_kernel is not None and r.in_kernel > r.points]


def grade_submission(
    student: str, notebook: "Path | intake.Handed", assignment: Assignment, zygote: "Zygote"
) -> SubmissionResult:
    """Every function's sealed score; a broken notebook, hang or crash costs only what it touches.

    `notebook`: the submitted notebook's path (read here, once, by intake.take), or what was read of it.
    """
    start = time.monotonic()
    result = SubmissionResult(student, {})
    try:
        handed = notebook if isinstance(notebook, intake.Handed) else intake.take(notebook)
        _grade_into(result, handed, assignment, zygote, start)
    except Exception as err:  # this student's error boundary: whatever broke, the batch goes on
        # the exception is the grader's, for the instructor (problems); the student reads plain words
        result.problems.append(f"the grader could not grade this submission ({type(err).__name__}: {_first_line(err)})")
        for fn in FUNCTIONS:
            if fn not in result.functions:
                result.functions[fn] = not_graded(GRADER_FAILED)
    cuda_skipped = gpu.note()
    if cuda_skipped:
        result.problems.append(cuda_skipped)
    result.seconds = time.monotonic() - start
    return result


GRADER_FAILED = (
    "the grader failed on this submission, through no fault of your code; your instructor has the details / "
    "评分程序处理此提交时出错(不是你的代码的问题),详情已告知教师"
)


def _first_line(err: BaseException) -> str:
    lines = str(err).splitlines()
    return lines[0][:200] if lines else ""


def _grade_into(result: SubmissionResult, handed: intake.Handed, assignment: Assignment, zygote, start: float) -> None:
    try:
        rejected = handed.rejected
        if not rejected:
            if handed.data is None:
                raise FileNotFoundError(f"no {NOTEBOOK} was handed in")
            nb = nbformat.reads(handed.data.decode(), as_version=4)
            if len(nb.cells) > intake.MAX_CELLS:
                rejected = f"the notebook has {len(nb.cells)} cells, over the limit of {intake.MAX_CELLS}: not graded"
        if rejected:
            result.rejected = rejected
            cells, graded, ungraded = [], {}, {fn: rejected for fn in FUNCTIONS}
        else:
            cells, graded, ungraded = _cells_to_run(nb, assignment)
    except Exception as err:  # not JSON, not a notebook, unreadable: nothing can be graded
        reason = f"the notebook could not be read ({type(err).__name__}: {_first_line(err)})"
        cells, graded, ungraded = [], {}, {fn: reason for fn in FUNCTIONS}
    result.problems.extend(dict.fromkeys(ungraded.values()))
    for fn, reason in ungraded.items():
        result.functions[fn] = not_graded(reason)
    if graded:
        _Run(assignment, zygote, cells, graded, result, start + assignment.submission_budget).grade()
        own_cells = [(index, source) for index, source in cells if index not in graded.values()]
        result.problems.extend(scan.judge(result.functions, scan.scan_cells(own_cells)))


def _cells_to_run(nb, assignment):
    """The code cells to run, grade cells restored in their release form (the worker never holds hidden tests).

    -> (cells, {function: its grade cell's index}, {function that cannot be graded: why}).
    """
    seen: dict[str, list[int]] = {}
    cells = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        nbgrader = cell.get("metadata", {}).get("nbgrader", {})
        grade_id = nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None
        if isinstance(grade_id, str) and grade_id in assignment.visible_sources:
            seen.setdefault(grade_id, []).append(index)
            cells.append((index, assignment.visible_sources[grade_id]))  # the worker answers the hidden part
        else:
            source = cell.get("source", "")
            cells.append((index, source if isinstance(source, str) else "".join(map(str, source))))
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
    """Runs a notebook in workers until every graded function has a verdict, within the submission's budget.

    One run serves both the grades and the feedback: the cells run in order, each grade cell keeps its
    function's state (grader/sealed/grade_cell_state.py) and shows nothing, and the hidden checks run when
    the last cell has run, each on its function's state as its grade cell left it. No hidden input exists
    while a cell runs, so every output the feedback shows comes from this run. A function whose state
    cannot be put back (it reads an object that changed in place since, or one that cannot be compared) is
    checked at its grade cell in a second run, whose outputs serve only that grade cell's in-kernel score.
    """

    def __init__(self, assignment, zygote, cells, graded, result, budget_end: float):
        self.assignment, self.zygote, self.cells, self.graded, self.result = assignment, zygote, cells, graded, result
        self.budget_end = budget_end  # time.monotonic() when the submission's wall budget runs out
        self.skip: set[int] = set()
        self.verdicts: dict[str, FunctionResult] = {}
        self.current_cell: int | None = None
        self.grading: str | None = None  # the function whose checks are running
        self.lost_in_check = False  # the last check ended with the worker killed
        self.checks_at_end = True  # this run's checks come after its last cell (False: at each grade cell)
        self.stale: dict[str, str] = {}  # function -> why its grade cell's state could not serve its checks
        self.kernel_view: dict[str, list] = {}  # function -> its grade cell's outputs in the second run
        self.reached: dict[str, bool] = {}  # function -> whether its grade cell ran to its end (kept its state)
        self.caught: dict[str, list] = {}  # function -> what it showed while its checks ran after the last cell

    def grade(self):
        self._runs()
        if self.stale and not self._budget_spent():
            self.checks_at_end = False  # the stale functions, checked at their grade cells
            self._runs()
        if self._budget_spent() and any(fn not in self.verdicts for fn in self.graded):
            self.result.problems.append(self._budget_message())
        reason = self.result.problems[-1] if self.result.problems else "the notebook never got that far"
        for fn in self.graded:
            verdict = self.verdicts.get(fn) or not_graded(reason)
            verdict.in_kernel = self._in_kernel_score(fn, verdict)
            self.result.functions[fn] = verdict

    def _runs(self):
        for _ in range(MAX_WORKER_STARTS):
            if self._budget_spent() or self._attempt():
                break

    def _budget_spent(self) -> bool:
        return time.monotonic() >= self.budget_end

    def _budget_message(self) -> str:
        return (
            f"the submission used up its grading budget of {self.assignment.submission_budget:g} s "
            "(SealedGrader.submission_budget): the remaining checks score 0"
        )

    def _attempt(self) -> bool:
        """One worker: run the cells, then check what is left. -> finished."""
        self.lost_in_check = False
        try:
            started = time.monotonic()
            worker = Worker(self.zygote)
            self._add_time("worker start", started)
        except Exception as err:
            self.result.problems.append(f"the sandbox could not start: {err}")
            return True
        end = GraderEnd(worker.sock, budget_end=self.budget_end, call_timeout=self.assignment.call_timeout)
        if not self.checks_at_end:
            end.on_grade = lambda fn: self._grade(fn, end, worker)
        self.current_cell = None
        try:
            started, checks_before = time.monotonic(), self.result.timings.get("checks", 0.0)
            grade_cells = {index: fn for fn, index in self.graded.items()}
            try:
                ran = end.run_cells(
                    self.cells,
                    self.skip,
                    self.assignment.cell_timeout,
                    grade_cells,
                    images_after=None if self.checks_at_end else -1,  # the second run's outputs are not shown
                    checks_at_end=self.checks_at_end,
                )
            finally:
                self.current_cell = end.current_cell
                self._record_violations(end, None)
            # the cells' time, less the checks that grade cells ran meanwhile (second run)
            part = "student code" if self.checks_at_end else "second run"
            self._add_time(part, started + self.result.timings.get("checks", 0.0) - checks_before)
            reports = self._cell_reports(ran)
            if self.checks_at_end:
                self.result.outputs.update({index: outputs for index, outputs, _ in reports})
                self.result.execution_counts.update({index: count for index, _, count in reports})
            else:
                grade_cells_ran = {index: outputs for index, outputs, _ in reports if index in grade_cells}
                for fn in self.stale:
                    self.kernel_view[fn] = grade_cells_ran.get(self.graded[fn], [])
            # after the last cell, and grade cells that errored before their verdict
            todo = [f for f in self.graded if f not in self.verdicts and (f not in self.stale) == self.checks_at_end]
            return self._check_all(todo, end, worker) if todo else True
        except (PeerGone, PeerTimeout, RemoteError) as err:
            self._after_loss(err)
            return False
        finally:
            worker.kill()

    def _cell_reports(self, ran) -> list[tuple[int, list[dict], int | None]]:
        """Each run cell's (index, outputs, execution count), from the worker's report (a list of cell reports)."""
        indexes = {index for index, _ in self.cells}
        if type(ran) is not list:
            raise BadFrame("the worker's report of the cells is not a list")
        reports = []
        for cell in ran:
            if type(cell) is not dict or type(cell.get("index")) is not int or cell["index"] not in indexes:
                raise BadFrame("the worker's report of a cell is malformed")
            try:
                outputs = cell_outputs(cell.get("outputs"))
            except Exception as err:  # JSON nested too deep, ...: the cell's outputs are lost, nothing else
                outputs = [_error_output("UnreadableOutput", f"the cell's outputs: {err}"[:300])]
            count = cell.get("execution_count")
            reports.append((cell["index"], outputs, count if type(count) is int else None))
        return reports

    def _grade(self, fn, end, worker) -> dict:
        """A grade cell's award(fn) in the second run: the sealed verdict, computed once per submission."""
        if fn not in self.verdicts:
            self.verdicts[fn] = self._check(fn, end, worker) or not_graded("its checks could not run")
        verdict = self.verdicts[fn]
        return {"points": verdict.points, "message": verdict.message}

    def _check_all(self, functions: list[str], end, worker) -> bool:
        """The checks of `functions` in turn, in one pytest session. -> False if the worker was lost in one of
        them (the rest is then graded in a fresh worker)."""
        finished = True

        def each(check_one: CheckOne) -> None:
            nonlocal finished
            for fn in functions:
                verdict = self._check(fn, end, worker, check_one)
                if verdict is not None:
                    self.verdicts[fn] = verdict
                if self.lost_in_check:
                    finished = False
                    return

        started, checks_before = time.monotonic(), self.result.timings.get("checks", 0.0)
        try:
            run_checks_together(functions, each)
        finally:  # the session's own start and end are the checks' time too
            self._add_time("checks", started + self.result.timings.get("checks", 0.0) - checks_before)
        return finished

    def _check(self, fn, end, worker, check_one: CheckOne = run_checks) -> FunctionResult | None:
        """fn's hidden checks (by check_one), on its grade cell's state when they come after the last cell.

        -> its verdict; None where that state could not serve (then fn is in `stale`, for the second run).
        """
        self.grading = fn
        budget = self.assignment.submission_budget
        submission = SealedSubmission(
            end, self.assignment.call_timeout, on_lost=lambda reason: worker.kill(), budget=budget
        )
        started = time.monotonic()
        if self.checks_at_end:
            begun = end.request({"op": "check_begin", "function": fn}, self.assignment.call_timeout)
            stale = begun.get("stale") if type(begun) is dict else None
            malformed = type(begun) is not dict or type(begun.get("reached")) is not bool
            if malformed or not (stale is None or type(stale) is str):
                raise BadFrame("the worker's answer to check_begin is malformed")
            self.reached[fn] = begun["reached"]
            if stale is not None:
                self.stale[fn] = stale[:300]
                end.request({"op": "check_end"}, self.assignment.call_timeout)
                self._add_time("checks", started)
                self.grading = None
                return None
        end.start_check(fn)
        try:
            checks = check_one(fn, submission)
        finally:
            violations = end.end_check()
            self._add_time("checks", started)
        if not submission.lost:  # at a grade cell (second run) it only undoes the checks' last patch, riding on it
            caught = end.request({"op": "check_end"}, self.assignment.call_timeout)
            if self.checks_at_end:
                self.caught[fn] = cell_outputs(caught)
        self.grading = None
        self.lost_in_check = bool(submission.lost)
        if violations:
            self._record_violations(end, fn)
            return FunctionResult(
                0.0,
                f"{fn} scores 0: while its hidden checks ran, your code spoke to the grader out of turn "
                f"({violations[0]}) / {fn} 得 0 分:隐藏测试运行时,你的代码越权与评分程序通信",
            )
        if submission.lost:
            return FunctionResult(0.0, f"{fn} could not be graded: {submission.lost}")
        if submission.breaches:
            self.result.problems.append(submission.breaches[0])
            zh = f"{fn} 得 0 分:在受检查的调用中启动了线程"
            return FunctionResult(0.0, f"{fn} scores 0: {submission.breaches[0]} / {zh}")
        return FunctionResult(
            checks.score,
            describe(fn, checks.score, checks.summary()),
            lost=checks.lost,
            checks=checks.outcomes(),
            mistakes=checks.mistakes(),
        )

    def _record_violations(self, end, function):
        """The worker's out-of-turn requests (during cells: function None) become the student's problems."""
        for fn, what in end.violations:
            if fn == function:
                where = f"during the checks of {fn}" if fn else "while the cells ran"
                problem = f"the code asked the grader for something out of turn {where}: {what}; it was refused"
                if problem not in self.result.problems:
                    self.result.problems.append(problem)

    def _add_time(self, part: str, since: float):
        self.result.timings[part] = self.result.timings.get(part, 0.0) + time.monotonic() - since

    def _after_loss(self, err):
        """The worker hung or died outside a check: skip that cell next time, as a timed-out cell is."""
        if self._budget_spent():
            return  # grade() says so once, for every function still without a verdict
        if self.lost_in_check:  # a check killed it: that function has its verdict, the cell may run again
            self.lost_in_check = False
            return
        if self.grading is not None:  # died inside a check that caught nothing: that function scores 0
            self.verdicts.setdefault(self.grading, FunctionResult(0.0, f"{self.grading} could not be graded: {err}"))
            self.grading = None
            return
        if isinstance(err, PeerTimeout):
            what = "ran longer than the cell time limit"
        elif isinstance(err, BadFrame):
            what = f"broke the connection to the grader ({err})"
        else:
            what = f"ended the process ({err})"
        if self.current_cell is None:  # before any cell started: nothing to skip, nothing would run next time
            self.result.problems.append(
                f"the notebook could not start: its sandbox process {what} before the first cell"
            )
            self.skip.update(i for i, _ in self.cells)
            return
        self.result.problems.append(f"cell {self.current_cell} {what}; it was skipped")
        if self.current_cell in self.skip:
            self.skip.update(i for i, _ in self.cells)  # cannot make progress: stop running cells
        self.skip.add(self.current_cell)
        self.result.outputs[self.current_cell] = [_error_output(type(err).__name__, f"the cell {what}")]

    def _in_kernel_score(self, fn, verdict: FunctionResult) -> float | None:
        """The score nbgrader itself gives the grade cell as a kernel would show it (IgnorePattern, then its rules).

        The cell's own outputs, then (where its end was reached) what the function showed while checked and
        the verdict as the hidden part shows it; from the second run for a function checked there.
        """
        outputs = self.kernel_view.get(fn)
        if outputs is None:
            outputs = self.result.outputs.get(self.graded[fn])
            if outputs is None:
                return None
            if self.reached.get(fn, True):
                outputs = [*outputs, *self.caught.get(fn, []), *shown_verdict(verdict.points, verdict.message)]
        return in_kernel_score(outputs, float(POINTS[fn]), self.assignment.ignore_stderr)


def shown_verdict(points: float, message: str, execution_count: int | None = None) -> list[dict]:
    """What a grade cell's hidden part shows (grader.verdict.show_verdict): the message and points, or an error."""
    if points <= 0:
        return [_error_output("HiddenChecksFailed", message, [f"HiddenChecksFailed: {message}"])]
    printed = [nbformat.v4.new_output("stream", name="stdout", text=message + "\n")] if message else []
    value = nbformat.v4.new_output(
        "execute_result",
        {"text/plain": repr(float(points))},
        execution_count=execution_count,
    )
    return [*printed, value]


OUTPUT_TYPES = {"stream", "display_data", "execute_result", "error"}


def cell_outputs(texts) -> list[dict]:
    """A cell's outputs as the worker sends them (a list of JSON texts, one per output) -> nbformat v4 output
    dicts; anything else is dropped. The worker is not trusted: only the four output types, with their
    fields as plain JSON, are kept."""
    kept = []
    for text in texts if isinstance(texts, list) else []:
        try:
            output = json.loads(text) if isinstance(text, str) else None
            if isinstance(output, dict) and output.get("output_type") in OUTPUT_TYPES:
                kept.append(_v4_output(output))
        except (KeyError, TypeError, ValueError, RecursionError):
            continue
    return kept


def _v4_output(output: dict) -> dict:
    """One output rebuilt with nbformat's constructors from the fields its type has."""
    kind = output["output_type"]
    if kind == "stream":
        return nbformat.v4.new_output(
            "stream", name=_one_of(output["name"], "stdout", "stderr"), text=str(output["text"])
        )
    if kind == "error":
        return _error_output(str(output["ename"]), str(output["evalue"]), [str(line) for line in output["traceback"]])
    data, metadata = output.get("data"), output.get("metadata", {})
    if not isinstance(data, dict) or not isinstance(metadata, dict):
        raise TypeError("display data must be a mime bundle")
    if kind == "execute_result":
        count = output.get("execution_count")
        return nbformat.v4.new_output(
            kind, data, metadata=metadata, execution_count=count if isinstance(count, int) else None
        )
    return nbformat.v4.new_output(kind, data, metadata=metadata)


def _one_of(value, *allowed):
    if value not in allowed:
        raise ValueError(f"{value!r} is not one of {allowed}")
    return value


def _error_output(ename: str, evalue: str, traceback: list[str] | None = None) -> dict:
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=traceback or [f"{ename}: {evalue}"])


def in_kernel_score(outputs: list[dict], points: float, ignore_stderr: str) -> float:
    """nbgrader's own verdict on a grade cell with these outputs: its IgnorePattern, then determine_grade.

    A value above the points (which makes stock nbgrader fail the notebook) counts as the full points.
    """
    from nbgrader.preprocessors import IgnorePattern
    from nbgrader.utils import determine_grade

    cell = nbformat.v4.new_code_cell(
        "", metadata={"nbgrader": {"grade": True, "solution": False, "points": points, "grade_id": "in_kernel"}}
    )
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    cell, _ = IgnorePattern(pattern=ignore_stderr, enabled=bool(ignore_stderr)).preprocess_cell(cell, {}, 0)
    try:
        score, _ = determine_grade(cell)
    except ValueError:
        return points
    return float(score)
