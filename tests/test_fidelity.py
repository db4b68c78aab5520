"""Sealed grading is a drop-in for `nbgrader autograde`: same scores, same gradebook, same autograded files.

Every honest sample (samples/pass_*, a blank and a partly wrong one) and honest notebooks that use what
Jupyter offers (magics, shell lines, display, plots, %time, help `?`, top-level prints and warnings, extra
cells and markdown, cells run out of order, an empty trailing cell) are graded in two copies of one course:
with stock `nbgrader autograde` (grader.course.autograde) and sealed (grader.sealed.batch.grade_course).
Each submission has a timestamp.txt and a submission_secret.txt; one is a day late against the due date,
with nbgrader's late-submission plugin set to give it zero.
"""

import copy
import shutil

import nbformat
import pytest
from conftest import new_course
from nbgrader.api import Gradebook

from grader import ASSIGNMENT, course, samples
from grader.course import NOTEBOOK
from grader.sealed.batch import grade_course
from grader.sealed.recording import SHOWN_MIMES

DUE = "2026-11-20 12:00:00 UTC"
ON_TIME, LATE = "2026-11-20 11:00:00.000000 UTC", "2026-11-21 12:00:00.000000 UTC"
SAMPLES = [n for n in samples.sample_names() if n.startswith("pass_")] + ["blank_release", "fail_mse_sum"]
LATE_STUDENT = "honest_jupyter_features"
STATE_CHANGED = "honest_changes_a_global_in_place"  # the one notebook whose mse is checked in a second run


def jupyter_features(nb):
    """The solved notebook as a student who uses Jupyter's conveniences would hand it in."""
    nb = copy.deepcopy(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    code[0].source = "%matplotlib inline\n" + code[0].source  # the original lesson's first line
    extra = [
        nbformat.v4.new_markdown_cell("My own notes / 我的笔记: trying things out."),
        nbformat.v4.new_code_cell("%time _total = sum(range(10_000))\n_total"),
        nbformat.v4.new_code_cell("torch.randperm?"),
        nbformat.v4.new_code_cell("!pip list | grep torch\nprint('exit code', _exit_code)"),
        nbformat.v4.new_code_cell(
            "display(HTML('<i>a note</i>'))\nprint('a top-level print')\nimport warnings\n"
            "warnings.warn('a top-level warning')\nplt.plot([1, 2, 3]);"
        ),
    ]
    nb.cells[2:2] = extra
    nb.cells.append(nbformat.v4.new_code_cell("x[:3]; "))
    nb.cells.append(nbformat.v4.new_code_cell(""))  # an empty trailing cell
    return nb


def ran_out_of_order(nb):
    """The solved notebook saved after running cells out of order: stale outputs, shuffled counts."""
    nb = copy.deepcopy(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for count, cell in zip(range(len(code), 0, -1), code, strict=True):
        cell.execution_count = count
        cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="stale warning\n")]
    code[1].outputs = [nbformat.v4.new_output("error", ename="NameError", evalue="x", traceback=["NameError: x"])]
    return nb


def plays_after_grading(nb):
    """The solved notebook with a last cell that changes what the graded functions would see, had they run there."""
    nb = copy.deepcopy(nb)
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "mse = update = None  # done with them\n"
            "torch.set_default_dtype(torch.float64)\ntorch.set_grad_enabled(False)\ntorch.manual_seed(123)"
        )
    )
    return nb


SCALED_MSE = "_scale = [1.0]\n\ndef mse(y_hat, y):\n    return _scale[0] * ((y_hat - y) ** 2).mean()\n"


def changes_a_global_in_place(release_nb, solutions):
    """A solved notebook whose mse reads a global list that a last cell changes in place (mse is wrong after it)."""
    nb = samples.filled_notebook(release_nb, {**solutions, "mse": SCALED_MSE}, {})
    nb.cells.append(nbformat.v4.new_code_cell("_scale[0] = 2.0"))
    return nb


def submit(root, student, nb, timestamp):
    folder = root / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / NOTEBOOK)
    (folder / "timestamp.txt").write_text(timestamp)
    (folder / "submission_secret.txt").write_text(f"secret of {student}")


def build_course(root):
    new_course(root)
    with open(root / "nbgrader_config.py", "a") as config:
        config.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    course.release(root)
    with Gradebook(course.db_url(root)) as gb:
        gb.update_or_create_assignment(ASSIGNMENT, duedate=DUE)
    samples.write_submissions(root, SAMPLES)
    for name in SAMPLES:
        folder = root / "submitted" / name / ASSIGNMENT
        (folder / "timestamp.txt").write_text(ON_TIME)
        (folder / "submission_secret.txt").write_text(f"secret of {name}")
    release_nb = nbformat.read(root / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    source_nb = nbformat.read(root / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    solved = samples.filled_notebook(release_nb, samples.solution_sources(source_nb), {})
    submit(root, LATE_STUDENT, jupyter_features(solved), LATE)
    submit(root, "honest_out_of_order", ran_out_of_order(solved), ON_TIME)
    submit(root, "honest_plays_after_grading", plays_after_grading(solved), ON_TIME)
    submit(root, STATE_CHANGED, changes_a_global_in_place(release_nb, samples.solution_sources(source_nb)), ON_TIME)


@pytest.fixture(scope="module")
def graded_both_ways(tmp_path_factory):
    """One course graded by stock nbgrader autograde, an identical copy graded sealed."""
    stock = tmp_path_factory.mktemp("stock")
    build_course(stock)
    sealed = tmp_path_factory.mktemp("sealed")
    shutil.copytree(stock, sealed, dirs_exist_ok=True)
    assert course.autograde(stock) == []
    results = grade_course(sealed, jobs=2, show_progress=False)
    return stock, sealed, {r.student: r for r in results}


STUDENTS = [*SAMPLES, LATE_STUDENT, "honest_out_of_order", "honest_plays_after_grading", STATE_CHANGED]


@pytest.mark.parametrize("student", STUDENTS)
def test_sealed_scores_equal_stock_autograde(graded_both_ways, student):
    """Does sealed grading give this honest notebook the score per function stock nbgrader gives it?"""
    stock, sealed, results = graded_both_ways
    assert course.scores(sealed)[student] == course.scores(stock)[student]
    assert not results[student].problems and not results[student].suspected_tampering


@pytest.mark.parametrize("student", STUDENTS)
def test_sealed_gradebook_equals_stock_autograde_field_by_field(graded_both_ways, student):
    """Is every gradebook field formgrader and export read (scores, needs_manual_grade, timestamp, lateness,
    penalty, comments, maxima) the same after `grade` as after `nbgrader autograde`?"""
    stock, sealed, _ = graded_both_ways
    want, got = course.gradebook_state(stock)[student], course.gradebook_state(sealed)[student]
    for part in want:
        for key in want[part]:
            assert got[part][key] == want[part][key], f"{part}/{key}"
    assert got == want


def test_each_notebook_runs_once_unless_a_graded_functions_state_changed_after_its_grade_cell(graded_both_ways):
    """Is every honest notebook run once, its checks after its last cell, and checked at a grade cell in a
    second run only where something its function reads changed in place later (as stock checks it there)?"""
    _, _, results = graded_both_ways
    second_runs = {student for student in STUDENTS if "second run" in results[student].timings}
    assert second_runs == {STATE_CHANGED}


def test_the_late_submission_is_late_and_penalised_both_ways(graded_both_ways):
    """Is the late notebook a day late, with the configured plugin's penalty, in both gradebooks?"""
    for root in graded_both_ways[:2]:
        submission = course.gradebook_state(root)[LATE_STUDENT]["submission"]
        assert submission["total_seconds_late"] == 86400
        assert submission["late_submission_penalty"] == submission["score"] > 0


def test_an_unanswered_function_gets_no_response_both_ways(graded_both_ways):
    """Does a function left as the stub carry nbgrader's "No response." comment after sealed grading?"""
    stock, sealed, _ = graded_both_ways
    for root in (stock, sealed):
        comments = course.gradebook_state(root)["blank_release"]["comments"]
        assert {c["auto_comment"] for c in comments.values()} == {"No response."}


@pytest.mark.parametrize("student", STUDENTS)
def test_autograded_folder_holds_what_stock_leaves(graded_both_ways, student):
    """Does autograded/<student>/ hold the notebook, timestamp.txt and submission_secret.txt, as stock's?"""
    stock, sealed, _ = graded_both_ways
    files = [sorted(p.name for p in (root / "autograded" / student / ASSIGNMENT).iterdir()) for root in (stock, sealed)]
    assert files[1] == files[0] == sorted([NOTEBOOK, "submission_secret.txt", "timestamp.txt"])
    texts = [(root / "autograded" / student / ASSIGNMENT / "timestamp.txt").read_text() for root in (stock, sealed)]
    assert texts[0] == texts[1]


@pytest.mark.parametrize("student", STUDENTS)
def test_autograded_cells_have_the_outputs_a_kernel_gave(graded_both_ways, student):
    """Outside grade cells, does each code cell carry stock's execution count and kinds of output (images too),
    less the markup (HTML, JavaScript, ...) that sealed grading keeps out of feedback?"""
    stock, sealed, _ = graded_both_ways

    def cells(root, shown=None):
        nb = nbformat.read(root / "autograded" / student / ASSIGNMENT / NOTEBOOK, as_version=4)
        return [
            (c.execution_count, _streams_joined([(o.output_type, o.get("name"), _mimes(o, shown)) for o in c.outputs]))
            for c in nb.cells
            if c.cell_type == "code" and not c.metadata.get("nbgrader", {}).get("grade")
        ]

    assert {m for _, outputs in cells(sealed) for *_, mimes in outputs for m in mimes} <= set(SHOWN_MIMES)
    assert cells(sealed, set(SHOWN_MIMES)) == cells(stock, set(SHOWN_MIMES))


def _streams_joined(kinds: list[tuple]) -> list[tuple]:
    """Consecutive chunks of one stream as one: a busy kernel flushes a cell's prints in one chunk or several."""
    joined: list[tuple] = []
    for kind in kinds:
        if not (kind[0] == "stream" and joined and joined[-1] == kind):
            joined.append(kind)
    return joined


def _mimes(output, shown=None) -> list[str]:
    mimes = set(output.get("data", {}))
    return sorted(mimes & shown if shown is not None else mimes)
