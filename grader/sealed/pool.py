"""Grade every submission of the course, sealed and in parallel on Dask, into nbgrader's gradebook."""

import dataclasses
import json
import os
import time
import warnings
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from rich.progress import Progress
from sqlalchemy.exc import SAWarning

from grader import ASSIGNMENT, report
from grader.course import NOTEBOOK, db_url
from grader.sealed.cluster import graded
from grader.sealed.session import Assignment, FunctionResult, SubmissionResult


class NotReleased(RuntimeError):
    """The gradebook does not know the assignment yet."""


def submissions(root: Path) -> dict[str, Path]:
    """student -> their notebook path, for every folder in submitted/ (the notebook may be missing)."""
    folder = root / "submitted"
    return (
        {d.name: d / ASSIGNMENT / NOTEBOOK for d in sorted(folder.iterdir()) if d.is_dir()} if folder.is_dir() else {}
    )


def grade_course(
    root: Path, jobs: int | None = None, show_progress: bool = True, scheduler: str | None = None
) -> list[SubmissionResult]:
    """Grade submitted/* into the gradebook; write feedback notebooks, grades.csv and report.html to autograded/.

    `scheduler`: the address of a Dask cluster to grade on; else a local cluster of `jobs` workers.
    """
    assignment = Assignment.load(root)
    url = db_url(root)
    with Gradebook(url) as gb:
        try:
            gb.find_assignment(ASSIGNMENT)
        except MissingEntry:
            raise NotReleased(
                f"the gradebook has no assignment {ASSIGNMENT}: run `python -m grader release` first"
            ) from None
    todo = submissions(root)
    results = []
    with Gradebook(url) as gb, Progress(disable=not show_progress, transient=True) as progress:
        bar = progress.add_task("grading (sealed)", total=len(todo))
        for result in graded(todo, assignment, jobs or os.cpu_count() or 1, scheduler):
            started = time.monotonic()
            record(gb, result)
            result.timings["gradebook write"] = time.monotonic() - started
            write_feedback_notebook(root, todo[result.student], result, assignment)
            results.append(result)
            progress.advance(bar)
    results.sort(key=lambda r: r.student)
    write_report(root, results)
    report.write(root / "autograded", results)
    return results


def write_report(root: Path, results: list[SubmissionResult]) -> Path:
    """autograded/sealed_report.json: every verdict, message and problem of the run (generated)."""
    data = {
        "generated": "by `python -m grader grade`; rewritten on every run",
        "students": {
            r.student: {
                "functions": {fn: dataclasses.asdict(v) for fn, v in r.functions.items()},
                "problems": r.problems,
                "suspected_tampering": r.suspected_tampering,
                "seconds": round(r.seconds, 3),
                "timings": {part: round(t, 4) for part, t in r.timings.items()},
            }
            for r in results
        },
    }
    path = root / "autograded" / "sealed_report.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False))
    return path


def record(gb: Gradebook, result: SubmissionResult) -> None:
    """Write one student's sealed scores to the gradebook (creating the submission if needed)."""
    gb.update_or_create_student(result.student)
    try:
        gb.find_submission(ASSIGNMENT, result.student)
    except MissingEntry:
        with warnings.catch_warnings():  # nbgrader's own add_submission trips SQLAlchemy's autoflush warning
            warnings.simplefilter("ignore", SAWarning)
            gb.add_submission(ASSIGNMENT, result.student)
    for fn, verdict in result.functions.items():
        grade = gb.find_grade(f"test_{fn}", NOTEBOOK.removesuffix(".ipynb"), ASSIGNMENT, result.student)
        grade.auto_score = verdict.points
    gb.db.commit()


def write_feedback_notebook(root: Path, path: Path, result: SubmissionResult, assignment: Assignment) -> None:
    """autograded/<student>/...: the student's cells, their outputs, and each grade cell's sealed verdict.

    Grade cells show their release (visible) version only, so feedback never contains hidden tests.
    """
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:
        return  # nothing to show: the reason is in the run's summary
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cell.outputs = [_output(event) for event in result.outputs.get(index, [])]
        cell.execution_count = None
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if grade_id in assignment.visible_sources:
            cell.source = assignment.visible_sources[grade_id]
            cell.outputs = _verdict_outputs(result.functions[grade_id.removeprefix("test_")])
    out = root / "autograded" / result.student / ASSIGNMENT / NOTEBOOK
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)


def _verdict_outputs(verdict: FunctionResult) -> list:
    """A grade cell's outputs as nbgrader reads them: the points as the value, or an error for none."""
    if verdict.points <= 0:
        return [
            nbformat.v4.new_output(
                "error",
                ename="HiddenChecksFailed",
                evalue=verdict.message,
                traceback=[f"HiddenChecksFailed: {verdict.message}"],
            )
        ]
    shown = [nbformat.v4.new_output("stream", name="stdout", text=verdict.message + "\n")] if verdict.message else []
    return [*shown, nbformat.v4.new_output("execute_result", {"text/plain": repr(verdict.points)})]


def _output(event):
    kind = event[0]
    if kind in ("stdout", "stderr"):
        return nbformat.v4.new_output("stream", name=kind, text=event[1])
    if kind == "result":
        return nbformat.v4.new_output("execute_result", {"text/plain": event[1]})
    return nbformat.v4.new_output("error", ename=event[1], evalue=event[2], traceback=[event[3]])
