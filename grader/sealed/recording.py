"""One graded submission into nbgrader's gradebook and autograded/, as `nbgrader autograde` would leave it.

Each finished submission goes through nbgrader's own `autograde` converter, with its Execute step
replaced by the sealed run's outputs: nbgrader itself sanitizes the notebook, reads timestamp.txt, copies
the submission's files, scores every grade cell (SaveAutoGrades), writes "No response." comments and
applies the configured late-submission plugin, so the gradebook is what `nbgrader autograde` leaves.
"""

import logging
import os
import re
import warnings
from pathlib import Path

import nbformat
import nbgrader.api
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import Autograde
from nbgrader.converters.base import NbGraderException
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade
from sqlalchemy.exc import SAWarning
from traitlets.config.loader import PyFileConfigLoader

from grader import ASSIGNMENT
from grader.course import NOTEBOOK, db_url
from grader.sealed import intake
from grader.sealed.nbgrader_steps import sealed_steps
from grader.sealed.session import Assignment, FunctionResult, SubmissionResult, shown_verdict

UNCONFINED = "graded WITHOUT the sandbox (--unconfined): the student's code ran unconfined"


def note_unconfined(url: str, result: SubmissionResult) -> None:
    """The gradebook keeps it too: a note in each function's comment that no sandbox was used."""
    with Gradebook(url) as gb:
        for fn in result.functions:
            _add_comment(gb, fn, result.student, f"{UNCONFINED} / 评分时未使用沙箱")
        gb.db.commit()


def _add_comment(gb: Gradebook, fn: str, student: str, note: str) -> None:
    """Append `note` to the auto comment of `fn`'s solution cell (none there: nothing to do)."""
    try:
        comment = gb.find_comment(fn, NOTEBOOK.removesuffix(".ipynb"), ASSIGNMENT, student)
    except MissingEntry:
        return
    comment.auto_comment = f"{comment.auto_comment}\n{note}" if comment.auto_comment else note


class SealedAutograde:
    """nbgrader's Autograde converter for one course, run per graded submission with the sealed outputs."""

    def __init__(self, root: Path, assignment: Assignment):
        self.root, self.assignment = root, assignment
        if not hasattr(nbgrader.api.create_engine, "engines"):  # this process records many submissions
            nbgrader.api.create_engine = one_engine_per_database(nbgrader.api.create_engine)
        self.config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
        self.url = patient(db_url(root))
        self.config.CourseDirectory.db_url = self.url  # a relative SQLite path means the course root
        self.log = logging.getLogger("grader.sealed.nbgrader")  # nbgrader's log: kept, not printed
        self.log.propagate = False
        self.errors = _Errors()
        self.log.handlers[:] = [self.errors]
        self.coursedir = CourseDirectory(config=self.config, root=str(root), log=self.log)

    def record(self, result: SubmissionResult) -> None:
        """Gradebook, autograded/<student>/ and its files, as `nbgrader autograde` leaves them for this result.

        A notebook nbgrader cannot process (not JSON, missing) scores 0 in every grade and is left for
        manual grading; a function whose result has a manual_reason is marked for manual grading too.
        """
        self.coursedir.assignment_id = ASSIGNMENT
        self.coursedir.student_id = result.student
        converter = Autograde(coursedir=self.coursedir, config=self.config, log=self.log)
        converter.force = True
        steps = sealed_steps(converter.autograde_preprocessors, result, self.assignment)
        converter.autograde_preprocessors = steps
        self.errors.lines.clear()
        submitted = self.root / "submitted" / result.student / ASSIGNMENT / NOTEBOOK
        if result.rejected or intake.refusal(submitted):  # never let nbgrader read a link to source/, a FIFO
            converter.start = _refuse_to_read
        try:
            with warnings.catch_warnings():  # nbgrader's own add_submission trips SQLAlchemy's autoflush warning
                warnings.simplefilter("ignore", SAWarning)
                converter.start()
            converted = any(getattr(step, "ran", False) for step in steps)
        except NbGraderException:
            converted = False
        except Exception as err:  # nbgrader broke otherwise on this submission: only this one is affected
            converted = False
            self.errors.lines.insert(0, f"{type(err).__name__}: {str(err)[:200]}")
        if not converted:
            said = next((line for line in self.errors.lines if "Traceback" not in line), "")
            said = f" ({said})" if said else ""
            result.problems.append(f"nbgrader could not autograde it{said}: 0 points, marked for manual grading")
            with Gradebook(self.url) as gb:  # (converted: nbgrader's last step, SealedReview, marked them)
                record_unprocessed(gb, result)
                mark_for_review(gb, result)


def one_engine_per_database(create_engine):
    """create_engine, made once per database and process: nbgrader's Gradebook makes a new SQLAlchemy engine each
    time it opens (about ten times per recorded submission), and a new engine compiles every query again.

    SQLAlchemy's advice is one engine per database per process; a grading process records many submissions.
    Gradebook.close() still disposes the engine's connections (the next Gradebook opens its own); only the
    compiled queries and the dialect's first-connect set-up are kept. The process id is part of the key: a
    forked process never uses its parent's engine (nor its connections).
    """
    engines: dict[tuple, object] = {}

    def shared(url, **kwargs):
        key = (os.getpid(), str(url), repr(sorted(kwargs.items())))
        if key not in engines:
            engines[key] = create_engine(url, **kwargs)
        return engines[key]

    shared.engines = engines  # type: ignore[attr-defined]
    return shared


def patient(url: str) -> str:
    """An SQLite gradebook's address that waits up to a minute for a lock: grading processes record in parallel."""
    if url.startswith("sqlite:") and "?" not in url:
        return f"{url}?timeout=60"
    return url


def _refuse_to_read():
    raise NbGraderException("the submission was not read (see its problems)")


class ShowReleaseTests(NbGraderPreprocessor):
    """After nbgrader's own steps: each grade cell shows its release (visible) version, so feedback has no hidden test.

    The last preprocessor of the converter, so the autograded notebook is written once, already without them
    (a failure here fails nbgrader's conversion, and nbgrader removes what it had written).
    """

    def __init__(self, visible_sources: dict[str, str], **kwargs):
        super().__init__(**kwargs)
        self.visible_sources = visible_sources

    def preprocess(self, nb, resources):
        for cell in nb.cells:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
            if cell.cell_type == "code" and grade_id in self.visible_sources:
                cell.source = self.visible_sources[grade_id]
        return nb, resources


class _Errors(logging.Handler):
    """The first line of each error nbgrader logs for the submission at hand."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage().splitlines()[0][:300] if record.getMessage() else "")


class SealedOutputs(NbGraderPreprocessor):
    """In place of nbgrader's Execute: every code cell gets its outputs and execution count from the sealed run,
    and every grade cell the sealed verdict (the points as its value, or an error for none)."""

    def __init__(self, result: SubmissionResult, **kwargs):
        super().__init__(**kwargs)
        self.result, self.ran = result, False

    def preprocess(self, nb, resources):
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
            verdict = self.result.functions.get(grade_id.removeprefix("test_"))
            count = self.result.execution_counts.get(index)
            if is_grade(cell) and verdict is not None:
                cell.outputs = [nbformat.from_dict(o) for o in verdict_outputs(verdict, count)]
            else:
                cell.outputs = [nbformat.from_dict(inert(o)) for o in self.result.outputs.get(index, [])]
            cell.execution_count = count
        self.ran = True
        return nb, resources


SHOWN_MIMES = ("text/plain", "image/png", "image/jpeg")  # rendered escaped, or as base64 image data
BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")


def inert(output: dict) -> dict:
    """A student's output as feedback and formgrader may render it: no markup, script or math of the student's.

    Rich outputs keep only plain text and PNG/JPEG images (checked to be base64, sizes to be numbers);
    HTML, JavaScript, SVG, Markdown and LaTeX would be rendered raw by nbconvert, in the student's feedback
    and in the instructor's formgrader, so they are replaced by their plain text.
    """
    if output.get("output_type") not in ("display_data", "execute_result"):
        return output  # streams and errors: nbconvert escapes their text
    data = {}
    for mime in SHOWN_MIMES:
        value = output.get("data", {}).get(mime)
        if isinstance(value, str) and (mime == "text/plain" or BASE64.fullmatch(value)):
            data[mime] = value
    left_out = sorted(set(output.get("data", {})) - set(data))
    if "text/plain" not in data:
        data["text/plain"] = f"[{', '.join(left_out)} output, not shown in feedback]"
    metadata = {}
    for mime in ("image/png", "image/jpeg"):
        sizes = output.get("metadata", {}).get(mime)
        if mime in data and isinstance(sizes, dict):
            kept = {k: v for k, v in sizes.items() if k in ("width", "height") and type(v) in (int, float)}
            metadata.update({mime: kept} if kept else {})
    return {**output, "data": data, "metadata": metadata}


def record_unprocessed(gb: Gradebook, result: SubmissionResult) -> None:
    """A submission nbgrader could not autograde: 0 in every grade (sealed verdicts), left for manual grading."""
    gb.update_or_create_student(result.student)
    try:
        gb.find_submission(ASSIGNMENT, result.student)
    except MissingEntry:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)
            gb.add_submission(ASSIGNMENT, result.student)
    for fn, verdict in result.functions.items():
        grade = gb.find_grade(f"test_{fn}", NOTEBOOK.removesuffix(".ipynb"), ASSIGNMENT, result.student)
        grade.auto_score = verdict.points
        grade.needs_manual_grade = True
    gb.db.commit()


def review_reasons(result: SubmissionResult) -> dict[str, str]:
    """Function -> why an instructor should look at its grade: the verdict's manual_reason, or a grade cell
    that showed more points in the student's own run than the hidden checks give (suspected tampering)."""
    reasons = {}
    for fn, verdict in result.functions.items():
        why = [getattr(verdict, "manual_reason", None) or ""]
        if fn in result.suspected_tampering:
            why.append(
                f"the grade cell showed {verdict.in_kernel:g} points in the notebook's own run, the hidden checks "
                f"give {verdict.points:g} (suspected tampering) / 笔记本自身运行显示 {verdict.in_kernel:g} 分,"
                f"隐藏测试给出 {verdict.points:g} 分(疑似篡改)"
            )
        if any(why):
            reasons[fn] = "; ".join(w for w in why if w)
    return reasons


def mark_for_review(gb: Gradebook, result: SubmissionResult) -> None:
    """Each function with a review reason: its grade needs manual grading, the reason is its solution's comment."""
    notebook = NOTEBOOK.removesuffix(".ipynb")
    for fn, reason in review_reasons(result).items():
        gb.find_grade(f"test_{fn}", notebook, ASSIGNMENT, result.student).needs_manual_grade = True
        _add_comment(gb, fn, result.student, f"Left for manual grading / 需要人工评分: {reason}")
    gb.db.commit()


def verdict_outputs(verdict: FunctionResult, execution_count: int | None = None) -> list[dict]:
    """A grade cell's outputs as nbgrader reads them: the points as the value, or an error for none."""
    message = verdict.message
    reason = getattr(verdict, "manual_reason", None)
    if reason:
        message = f"{message}\n" if message else ""
        message += f"Your instructor will look at this function / 教师将人工审阅此函数: {reason}"
    return shown_verdict(verdict.points, message, execution_count)
