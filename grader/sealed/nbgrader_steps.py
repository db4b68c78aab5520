"""Sealed grading inside nbgrader's own `autograde` converter: `nbgrader autograde`, formgrader's button, our CLI.

nbgrader_config.py switches it on with one line (`c.Autograde.autograde_preprocessors = sealed_steps(...)`):
nbgrader's Execute step (the student's code and the hidden tests in one kernel) becomes `SealedExecute`
(the notebook graded by grader/sealed/session.py: student code in the sandbox, the checks here), and
`SealedReview` runs last (grade cells shown in their release version; functions to review marked).
Everything else is nbgrader's own. In a long-lived process (the Jupyter server behind formgrader) the
sandbox's zygote stays warm between students.
"""

import atexit
import threading
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Any

from grader import ASSIGNMENT, inert
from grader.course import NOTEBOOK

SEALED_EXECUTE = "grader.sealed.nbgrader_steps.SealedExecute"
SEALED_REVIEW = "grader.sealed.nbgrader_steps.SealedReview"


def sealed_steps(steps: list, result=None, assignment=None) -> list:
    """nbgrader's autograde steps with Execute (or a SealedExecute) replaced, SealedReview last.

    `result`, `assignment`: a SubmissionResult graded already and its course's Assignment (the parallel CLI);
    else each notebook is graded in the step.
    """
    execute = SealedExecute(result=result, assignment=assignment) if result is not None else SEALED_EXECUTE
    kept = [pp for pp in steps if pp not in (SEALED_REVIEW, SealedReview)]
    return [*(execute if pp in (Execute, SEALED_EXECUTE, SealedExecute) else pp for pp in kept), SealedReview]


class SealedExecute(NbGraderPreprocessor):
    """In place of nbgrader's Execute: the submission graded sealed; its outputs and verdicts into the notebook."""

    result = Any(None, help="a SubmissionResult graded already; None: grade the submission here")
    assignment = Any(None, help="the course's Assignment, with `result`")
    ran = False  # the step ran to its end (nbgrader converted the notebook this far)

    def preprocess(self, nb, resources):
        from grader.sealed.recording import SealedOutputs

        result, assignment = self.result, self.assignment
        if result is None:  # nothing kept on the step: nbgrader may reuse it for the next student
            assignment, result = self._grade(resources)
        resources["sealed_result"], resources["sealed_assignment"] = result, assignment
        nb, resources = SealedOutputs(result=result).preprocess(nb, resources)
        self.ran = True
        return nb, resources

    def _grade(self, resources):
        from grader.sealed.identity import current
        from grader.sealed.session import grade_submission

        root = _course_root(self)
        assignment, zygote = _warm(root)
        student = resources["nbgrader"]["student"]
        self.log.info("grading %s sealed: %s", student, current().describe())
        result = grade_submission(student, root / "submitted" / student / ASSIGNMENT / NOTEBOOK, assignment, zygote)
        for problem in result.problems:
            self.log.warning("%s: %s", student, inert.one_line(problem, 2000))
        if result.rejected:  # what nbgrader read is not what the student handed in (a link, a FIFO): keep none of it
            from grader.sealed.recording import mark_for_review, record_unprocessed

            with Gradebook(resources["nbgrader"]["db_url"]) as gb:  # as `grade` records it: 0, for manual grading
                record_unprocessed(gb, result)
                mark_for_review(gb, result)
            raise NotGraded(f"{student}: the submission was not read ({'; '.join(result.problems)[:500]})")
        return assignment, result


class NotGraded(Exception):
    """nbgrader's conversion of this notebook stops here; nbgrader logs it and removes what it wrote."""


class SealedReview(NbGraderPreprocessor):
    """Last step: grade cells show their release version (no hidden test in feedback); reviews are marked."""

    def preprocess(self, nb, resources):
        from grader.sealed.recording import ShowReleaseTests, mark_for_review

        result = resources.get("sealed_result")
        if result is None:  # graded in a kernel (Execute): nothing of ours to show or mark
            return nb, resources
        visible = resources["sealed_assignment"].visible_sources
        nb, resources = ShowReleaseTests(visible_sources=visible).preprocess(nb, resources)
        with Gradebook(resources["nbgrader"]["db_url"]) as gb:
            mark_for_review(gb, result)
        return nb, resources


def _course_root(step) -> Path:
    """The course root of the converter running this step (nbgrader's own CourseDirectory), else the config's."""
    owner = step
    while owner is not None:
        coursedir = getattr(owner, "coursedir", None)
        if isinstance(coursedir, CourseDirectory):
            return Path(coursedir.root).resolve()
        owner = getattr(owner, "parent", None)
    return Path(CourseDirectory(config=step.config).root).resolve()


_lock = threading.Lock()
_warm_state: dict = {}  # "zygote": this process's warm sandbox, kept between students


def _warm(root: Path):
    """(the course's Assignment, a ready zygote): started once per process, again only if the limits change."""
    from grader.course import db_url, expectations_cache
    from grader.sealed import cluster, gpu
    from grader.sealed.session import Assignment
    from grader.sealed.spawn import Zygote

    assignment = Assignment.load(root)
    with _lock:
        zygote = _warm_state.get("zygote")
        if zygote is None or zygote.limits != assignment.limits:
            _close()
            zygote = Zygote(assignment.limits)  # SandboxUnavailable: nbgrader reports it, grades nothing
            try:
                cluster.warm_up(expectations_cache(root, db_url(root)))
                zygote.wait_ready()
            except BaseException:
                zygote.close()
                raise
            gpu.skip_cuda_cases(gpu.unusable_gpu(zygote))
            _warm_state["zygote"] = zygote
    return assignment, zygote


@atexit.register
def _close() -> None:
    zygote = _warm_state.pop("zygote", None)
    if zygote is not None:
        zygote.close()
