"""Grade every submission of the course, sealed and in parallel (grader/sealed/cluster.py), into nbgrader's gradebook.

The course in (submitted/), the gradebook, autograded/, sealed_results.json and the class summary out; each
result is recorded as it arrives (grader/sealed/recording.py).
"""

import dataclasses
import importlib
import json
import time
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from grader import ASSIGNMENT
from grader.course import NOTEBOOK, db_url, expectations_cache
from grader.progress import progress_bar
from grader.sealed import identity
from grader.sealed.cluster import graded
from grader.sealed.cpus import usable_cpus
from grader.sealed.recording import UNCONFINED, SealedAutograde, note_unconfined
from grader.sealed.session import Assignment, SubmissionResult


class NotReleased(RuntimeError):
    """The gradebook does not know the assignment yet."""


def submissions(root: Path) -> dict[str, Path]:
    """student -> submitted/<student>/<assignment>/<notebook>, for every folder in submitted/ (the notebook may
    be missing). Each is read where it is graded, once (grader/sealed/intake.py)."""
    folder = root / "submitted"
    if not folder.is_dir():
        return {}
    return {d.name: d / ASSIGNMENT / NOTEBOOK for d in sorted(folder.iterdir()) if d.is_dir()}


def grade_course(
    root: Path,
    jobs: int | None = None,
    show_progress: bool = True,
    scheduler: str | None = None,
    unconfined: bool = False,
) -> list[SubmissionResult]:
    """Grade submitted/* into the gradebook; write feedback notebooks, grades.csv and class_summary.html to autograded/.

    `scheduler`: the address of a Dask cluster to grade on; else a local pool of `jobs` forked processes (by
    default one per CPU this process may use: grader/sealed/cpus.py).
    `unconfined`: the instructor's explicit `--unconfined` (no sandbox), recorded with every result.
    Raises SandboxUnavailable, before anything is recorded, where this machine cannot confine student code.
    The results returned hold no cell outputs: each result's outputs and execution counts are released once
    recorded (they are in autograded/<student>/ then), so the run's memory does not grow with them.
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
    record = Recorder(root, assignment, unconfined)
    with progress_bar(show_progress) as progress:
        bar = progress.add_task("grading (sealed)", total=len(todo))
        jobs = jobs or usable_cpus()
        for result in graded(todo, assignment, jobs, scheduler, unconfined, expectations_cache(root, url), record):
            results.append(result)
            progress.advance(bar)
            if len(todo) - len(results) < jobs:  # a grading process has nothing left to do: on its free core,
                importlib.import_module("grader.class_summary")  # matplotlib, for the figures drawn at the end
    results.sort(key=lambda r: r.student)
    write_results(root, results, unconfined)
    from grader import class_summary  # matplotlib: imported when the figures are drawn, not at start-up

    class_summary.write(root / "autograded", results)
    return results


class Recorder:
    """One result into the gradebook and autograded/ (nbgrader's converter), outputs released after.

    Called where the result is made (in each local grading process, so the main process only collects) or,
    for results from a cluster, in the main process. -> the result, without cell outputs.
    """

    def __init__(self, root: Path, assignment: Assignment, unconfined: bool):
        self.autograder = SealedAutograde(root, assignment)
        self.unconfined = unconfined

    def __call__(self, result: SubmissionResult) -> SubmissionResult:
        if self.unconfined:
            result.problems.append(UNCONFINED)
        started = time.monotonic()
        try:
            self.autograder.record(result)
        except Exception as err:  # this student's error boundary: the batch goes on (issue 9 item 6)
            result.problems.append(f"the gradebook entry could not be written: {type(err).__name__}: {err}")
        if self.unconfined:
            note_unconfined(self.autograder.url, result)
        result.timings["gradebook write"] = time.monotonic() - started
        result.outputs, result.execution_counts = {}, {}  # autograded/ has them, nothing below reads them
        return result


def write_results(root: Path, results: list[SubmissionResult], unconfined: bool = False) -> Path:
    """autograded/sealed_results.json: every verdict, message and problem of the run (generated).

    Written one student at a time, the same text as one json.dumps of the whole with indent=1, so the whole
    document is never built in memory (for 10,000 submissions that took 220 MiB at the end of the run).
    """
    sandbox = f"bubblewrap namespaces, seccomp allowlists; {identity.current().describe()}"
    head = {
        "generated": "by `python -m grader grade`; rewritten on every run",
        "sandbox": UNCONFINED if unconfined else sandbox,
        "students": {},
    }
    path = root / "autograded" / "sealed_results.json"
    path.parent.mkdir(exist_ok=True)
    with path.open("w") as out:
        text = json.dumps(head, indent=1, ensure_ascii=False)
        if not results:
            out.write(text)
            return path
        out.write(text.removesuffix("{}\n}") + "{")
        for i, r in enumerate(results):
            entry = {
                "functions": {fn: dataclasses.asdict(v) for fn, v in r.functions.items()},
                "problems": r.problems,
                "suspected_tampering": r.suspected_tampering,
                "seconds": round(r.seconds, 3),
                "timings": {part: round(t, 4) for part, t in r.timings.items()},
            }
            # two levels deeper than json.dumps puts it; its strings hold no raw newline (JSON escapes them)
            nested = json.dumps(entry, indent=1, ensure_ascii=False).replace("\n", "\n  ")
            out.write(f"{',' if i else ''}\n  {json.dumps(r.student, ensure_ascii=False)}: {nested}")
        out.write("\n }\n}")
    return path
