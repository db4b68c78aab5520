"""Sealed grading, for real: the CLI grades samples, attacks and broken notebooks in one parallel run."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import new_course

from grader import FUNCTIONS, POINTS, course, samples

ATTACKS = Path(__file__).parent / "attacks"
ATTACK_NAMES = sorted(p.stem for p in ATTACKS.glob("*.py"))
FULL = {fn: float(p) for fn, p in POINTS.items()}
BROKEN = {  # student -> (how the notebook is broken, what the run must say)
    "broken_not_json": ("not_json", "could not be read"),
    "broken_missing_notebook": ("missing", "could not be read"),
    "broken_grade_cell_deleted": ("deleted", "grade cell test_update was deleted"),
    "broken_grade_cell_duplicated": ("duplicated", "grade cell test_mse appears 2 times"),
    "broken_grade_id_is_a_list": ("grade_id_list", "grade cell test_update was deleted"),
    "broken_symlink_to_the_source_notebook": ("symlink", "is a symbolic link"),
    "broken_fifo_instead_of_a_notebook": ("fifo", "not a regular file"),
    "broken_notebook_over_32_mib": ("oversized", "over the 33554432 byte limit"),
    "broken_notebook_not_utf8": ("not_utf8", "not UTF-8"),
}
UNREAD = ("not_json", "missing", "symlink", "fifo", "oversized", "not_utf8")  # every function scores 0
FORMULA_STUDENT = '=HYPERLINK("http://example.com","x")'  # a student id a spreadsheet would evaluate


def attack_settings(name):
    """TARGET, EXPECT, FLAGGED, EXTRA_FILES, MANUAL and PROBLEM of an attack file, read without running it."""
    names = ("TARGET", "EXPECT", "FLAGGED", "EXTRA_FILES", "MANUAL", "PROBLEM")
    extras = ("EXTRA_FIFOS", "EXTRA_LINKS", "PAD_MARKDOWN_CELLS", "NOT_IN_FEEDBACK")
    found = samples.constants(ATTACKS / f"{name}.py", *names, *extras)
    defaults = {"FLAGGED": False, "EXTRA_FILES": {}, "MANUAL": [], "PROBLEM": ""}
    return {**defaults, "EXTRA_FIFOS": [], "EXTRA_LINKS": {}, "PAD_MARKDOWN_CELLS": 0, "NOT_IN_FEEDBACK": "", **found}


def write_notebook(root, student, nb):
    path = root / "submitted" / student / "lesson2_sgd" / "lesson2_sgd.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def add_attacks_and_broken(root):
    release_nb = nbformat.read(root / "release" / "lesson2_sgd" / "lesson2_sgd.ipynb", as_version=4)
    source_nb = nbformat.read(root / "source" / "lesson2_sgd" / "lesson2_sgd.ipynb", as_version=4)
    solutions = samples.solution_sources(source_nb)
    for name in ATTACK_NAMES:
        settings = attack_settings(name)
        nb = samples.filled_notebook(release_nb, solutions, {settings["TARGET"]: (ATTACKS / f"{name}.py").read_text()})
        path = write_notebook(root, f"attack_{name}", nb)
        for filename, text in settings["EXTRA_FILES"].items():
            (path.parent / filename).write_text(text)
        for filename in settings["EXTRA_FIFOS"]:
            os.mkfifo(path.parent / filename)
        for filename, target in settings["EXTRA_LINKS"].items():
            (path.parent / filename).symlink_to(target)
        if settings["PAD_MARKDOWN_CELLS"]:
            nb.cells.extend(nbformat.v4.new_markdown_cell("x") for _ in range(settings["PAD_MARKDOWN_CELLS"]))
            nbformat.write(nb, path)
    perfect = samples.filled_notebook(release_nb, solutions, {})
    for student, (how, _) in BROKEN.items():
        nb = nbformat.from_dict(json.loads(nbformat.writes(perfect)))
        grade_cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
        if how == "deleted":
            nb.cells.remove(next(c for c in grade_cells if c.metadata.nbgrader.grade_id == "test_update"))
        if how == "grade_id_list":
            cell = next(c for c in grade_cells if c.metadata.nbgrader.grade_id == "test_update")
            cell.metadata.nbgrader.grade_id = ["test_update"]
        if how == "duplicated":
            copy = nbformat.from_dict(
                json.loads(json.dumps(next(c for c in grade_cells if c.metadata.nbgrader.grade_id == "test_mse")))
            )
            copy.id = "pasted-again"
            nb.cells.append(copy)
        path = write_notebook(root, student, nb)
        if how == "not_json":
            path.write_text('{"cells": [')
        if how == "missing":
            path.unlink()
        if how == "symlink":
            path.unlink()
            path.symlink_to(root / "source" / "lesson2_sgd" / "lesson2_sgd.ipynb")
        if how == "fifo":
            path.unlink()
            os.mkfifo(path)
        if how == "oversized":
            with open(path, "a") as f:
                f.truncate(32 * 2**20 + 1)
        if how == "not_utf8":
            path.write_bytes(path.read_bytes().replace(b'"cells"', b'"\xff\xfecells"', 1))
    write_notebook(root, FORMULA_STUDENT, perfect)


def grade(root):
    return subprocess.run(
        [sys.executable, "-m", "grader", "--root", str(root), "grade", "--jobs", "2"],
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One sealed run over samples, attacks and broken notebooks, with short time limits."""
    root = new_course(tmp_path_factory.mktemp("course"))
    with open(root / "nbgrader_config.py", "a") as config:
        config.write(
            "\nc.Execute.timeout = 6\nc.SealedGrader.call_timeout = 3\nc.SealedGrader.memory_mb = 1024\n"
            "c.SealedGrader.submission_budget = 40\n"
        )
    course.release(root)
    samples.write_submissions(root)
    add_attacks_and_broken(root)
    proc = grade(root)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((root / "autograded" / "sealed_results.json").read_text())["students"]
    return root, proc, report


def scores(report, student):
    return {fn: v["points"] for fn, v in report[student]["functions"].items()}


@pytest.mark.parametrize("name", samples.sample_names())
def test_sealed_grading_gives_each_sample_its_expected_scores(run, name):
    """Does sealed grading give every sample the score its name promises, in the gradebook too?"""
    root, _, report = run
    assert scores(report, name) == samples.expected_scores(name)
    assert course.scores(root)[name] == samples.expected_scores(name)


@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_attack_is_defeated(run, name):
    """Does the attack earn nothing (or get flagged), leaving the submission's other functions graded?"""
    _, _, report = run
    settings = attack_settings(name)
    student = f"attack_{name}"
    assert scores(report, student) == {**FULL, **settings["EXPECT"]}, report[student]
    if settings["FLAGGED"]:
        assert report[student]["suspected_tampering"] == [settings["TARGET"]]
    for fn in settings["MANUAL"]:
        assert report[student]["functions"][fn]["manual_reason"], f"{fn} was not sent to manual grading"
    if settings["PROBLEM"]:
        assert any(settings["PROBLEM"] in p for p in report[student]["problems"]), report[student]["problems"]


def test_honest_submissions_are_never_flagged(run):
    """Is no sample suspected of tampering?"""
    _, _, report = run
    assert not [s for s in samples.sample_names() if report[s]["suspected_tampering"]]


def test_tampering_is_reported_in_the_run_output(run):
    """Does the run's table say which submission is suspected, and of what?"""
    _, proc, _ = run
    row = next(line for line in proc.stdout.splitlines() if "attack_displayhook_partial_credit_forgery" in line)
    assert "tampering suspected: mse" in row


@pytest.mark.parametrize("student", sorted(BROKEN))
def test_broken_notebook_gets_a_clear_message_and_zero_for_what_could_not_be_graded(run, student):
    """Does a broken submission get its reason, 0 where it cannot be graded, and full marks elsewhere?"""
    _, proc, report = run
    how, says = BROKEN[student]
    assert any(says in problem for problem in report[student]["problems"]), report[student]["problems"]
    got = scores(report, student)
    if how in UNREAD:
        assert got == {fn: 0.0 for fn in FUNCTIONS}
    else:
        lost = "mse" if how == "duplicated" else "update"
        assert got == {**FULL, lost: 0.0}
    assert says in proc.stdout


def test_attacks_leave_the_gradebook_and_other_students_alone(run):
    """After the gradebook-writing attack, does every student have exactly the score the run gave?"""
    root, _, report = run
    table = course.scores(root)
    assert set(table) == set(report)
    for student in report:
        assert table[student] == scores(report, student)
    with sqlite3.connect(root / "gradebook.db") as db:
        assert db.execute("select max(auto_score) from grade").fetchone()[0] <= max(POINTS.values())


def test_feedback_shows_failures_but_no_hidden_tests(run):
    """Does nbgrader's generate_feedback show the failed check's message and none of the hidden code?"""
    root, _, _ = run
    course.nbgrader(root, "generate_feedback", "lesson2_sgd", "--force")
    html = (root / "feedback" / "fail_mse_sum" / "lesson2_sgd" / "lesson2_sgd.html").read_text()
    assert "did you sum instead of taking the mean?" in html
    assert "BEGIN HIDDEN TESTS" not in html and "award(" not in html


LEAKS = [name for name in ATTACK_NAMES if attack_settings(name)["NOT_IN_FEEDBACK"]]


@pytest.mark.parametrize("name", LEAKS)
def test_hidden_inputs_never_reach_the_feedback(run, name):
    """Does what student code kept from the hidden checks' calls stay out of autograded/ and the feedback?"""
    root, _, _ = run
    marker = attack_settings(name)["NOT_IN_FEEDBACK"][::-1]  # written reversed, so the cell's source lacks it
    course.nbgrader(root, "generate_feedback", "lesson2_sgd", "--force")
    shown = [root / "autograded" / f"attack_{name}", root / "feedback" / f"attack_{name}"]
    files = [path for folder in shown for path in folder.rglob("*") if path.is_file()]
    assert files, f"nothing was written for attack_{name}"

    def what_it_shows(path):  # a notebook's outputs (its sources are the student's own), any other file whole
        if path.suffix != ".ipynb":
            return path.read_text(errors="replace")
        return json.dumps([cell.get("outputs", []) for cell in nbformat.read(path, as_version=4).cells])

    assert not [path for path in files if marker in what_it_shows(path)]


def test_nbgrader_export_shows_the_sealed_scores(run):
    """Does `nbgrader export` write the totals sealed grading gave?"""
    root, _, report = run
    course.nbgrader(root, "export", "--to", str(root / "grades.csv"))
    rows = {row.split(",")[3]: float(row.split(",")[7]) for row in (root / "grades.csv").read_text().splitlines()[1:]}
    assert rows == {s: sum(scores(report, s).values()) for s in report}


def test_rerunning_is_idempotent(run):
    """Does grading again give the same scores, with one submission per student in the gradebook?

    The second run takes the reference's values from expectations.cache (beside the gradebook), computes
    none of them, so leaves the file as it was, and grades the same.
    """
    root, _, report = run
    cache = root / "expectations.cache"
    written = cache.stat().st_mtime_ns
    again = grade(root)
    assert cache.stat().st_mtime_ns == written
    assert again.returncode == 0
    assert json.loads((root / "autograded" / "sealed_results.json").read_text())["students"].keys() == report.keys()
    assert {s: course.scores(root)[s] for s in report} == {s: scores(report, s) for s in report}
    with sqlite3.connect(root / "gradebook.db") as db:
        rows = db.execute("select count(*), count(distinct student_id) from submitted_assignment").fetchone()
    assert rows[0] == rows[1] == len(report)


def test_each_ungraded_function_names_its_own_reason(source_nb):
    """With two broken grade cells, does each function's message name its own cell's problem?"""
    from grader.sealed.session import Assignment, _cells_to_run

    nb = nbformat.from_dict(json.loads(nbformat.writes(source_nb)))
    grade_cells = {c.metadata.nbgrader.grade_id: c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}
    nb.cells.remove(grade_cells["test_update"])
    pasted = nbformat.from_dict(json.loads(json.dumps(grade_cells["test_mse"])))
    pasted.id = "pasted-again"
    nb.cells.append(pasted)
    _, graded, ungraded = _cells_to_run(nb, Assignment.load(course.ROOT))
    assert sorted(graded) == ["cross_entropy", "minibatch_sgd"]
    assert "test_mse appears 2 times" in ungraded["mse"] and "test_update was deleted" in ungraded["update"]


def test_honest_submissions_are_never_sent_to_manual_grading(run):
    """Does the static scan leave every sample (correct or wrong, never hostile) to the automatic grade?"""
    _, _, report = run
    flagged = {s: fn for s in samples.sample_names() for fn, v in report[s]["functions"].items() if v["manual_reason"]}
    assert not flagged


def test_a_symlink_to_the_source_notebook_leaks_nothing(run):
    """Does a submission that links to source/ get 0 and no autograded copy with the solutions in it?"""
    root, _, _ = run
    for path in (root / "autograded").rglob("*.ipynb"):
        assert "### BEGIN SOLUTION" not in path.read_text(errors="replace"), path


def test_student_text_reaches_the_terminal_inert(run):
    """Is student text printed literally: markup shown as text, no escape sequences, no forged notes?"""
    _, proc, _ = run
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    assert "[bold red]tampering suspected: update[/]" in proc.stdout
    row = next(line for line in proc.stdout.splitlines() if "attack_markup_escapes_and_math_in_student_text" in line)
    assert "tampering suspected" not in row


def test_grades_csv_cells_never_start_a_formula(run):
    """Is a student id that starts with = written so that a spreadsheet shows it as text?"""
    root, _, _ = run
    cells = [row.split(",")[1] for row in (root / "autograded" / "grades.csv").read_text().splitlines()[1:]]
    assert not [c for c in cells if c.lstrip('"').startswith(("=", "+", "-", "@"))]
    assert any(c.lstrip('"').startswith("'=HYPERLINK") for c in cells)


def test_the_report_shows_student_text_escaped(run):
    """Does class_summary.html show a message with $...$ and markup as escaped text (the figure did not crash)?"""
    root, _, _ = run
    page = (root / "autograded" / "class_summary.html").read_text()
    assert "<figure" in page and "\x1b" not in page
    assert "HYPERLINK(&quot;http://x&quot;)" in page or "HYPERLINK(&quot;" in page


# -- the worker holds nothing of the instructor's notebook that the release does not show -------------------

# A student cell that walks the worker's memory (every container gc knows of, and docstrings) and reports the
# instructor-only lines it finds, by hash, so that the cell itself holds none of them; it ends the process
# when it finds one not in ALLOWED (which a graded run reports as a problem of that cell).
MEMORY_SCAN = """
import gc as _gc, hashlib as _hashlib, os as _os
_wanted, _allowed, _found = set(WANTED), set(ALLOWED), set()
def _look(_s):
    if type(_s) is str and len(_s) >= 8:
        for _line in _s.splitlines():
            _line = _line.strip()
            if len(_line) >= 8:
                _digest = _hashlib.sha256(_line.encode("utf-8", "surrogatepass")).hexdigest()[:16]
                if _digest in _wanted:
                    _found.add(_digest)
for _o in _gc.get_objects():
    if type(_o) is dict:
        for _k, _v in list(_o.items()):
            _look(_k)
            _look(_v)
    elif type(_o) in (list, tuple, set, frozenset):
        for _v in list(_o):
            _look(_v)
    elif type(_o).__name__ in ("function", "type", "module"):
        _look(getattr(_o, "__doc__", None))
print("found:", sorted(_found))
if _found - _allowed:
    _os._exit(7)
"""


OWN_WORDS = {  # a correct notebook in other words than the source's solutions (no line in common)
    "mse": "def mse(y_hat, y):\n    return torch.mean((y - y_hat) ** 2)\n",
    "update": (
        "def update(x, y, a, lr):\n    l = mse(x @ a, y)\n    l.backward()\n    with torch.no_grad():\n"
        "        a -= lr * a.grad\n    a.grad = None\n    return l\n"
    ),
    "minibatch_sgd": (
        "def minibatch_sgd(x, y, a, lr, bs, epochs, generator=None):\n    out = []\n    for _ in range(epochs):\n"
        "        order = torch.randperm(len(x), generator=generator, device=x.device)\n"
        "        for batch in order.split(bs):\n            out.append(update(x[batch], y[batch], a, lr).item())\n"
        "    return out\n"
    ),
    "cross_entropy": (
        "def cross_entropy(logits, target):\n    lse = torch.logsumexp(logits, dim=1)\n"
        "    mine = logits[torch.arange(len(target), device=logits.device), target]\n    return (lse - mine).mean()\n"
    ),
}


def instructor_only_lines(source_nb, release_nb) -> dict[str, str]:
    """Every line of the source notebook that the release lacks (solutions, hidden tests), by its hash."""
    import hashlib

    released = {line.strip() for cell in release_nb.cells for line in cell.source.splitlines()}
    lines = {line.strip() for cell in source_nb.cells for line in cell.source.splitlines()}
    only = [line for line in lines if len(line) >= 8 and line not in released]
    return {hashlib.sha256(line.encode()).hexdigest()[:16]: line for line in only}


def scan_cell(wanted, allowed=()) -> str:
    return f"WANTED = {sorted(wanted)!r}\nALLOWED = {sorted(allowed)!r}\n{MEMORY_SCAN}"


def run_in_a_worker(zygote, cells, grade_cells) -> list[dict]:
    """Run cells in a fresh sandboxed worker, every verdict 1 point; -> the last cell's outputs."""
    import time

    from grader.sealed.grader_end import GraderEnd
    from grader.sealed.spawn import Worker

    worker = Worker(zygote)
    try:
        end = GraderEnd(worker.sock, budget_end=time.monotonic() + 120, call_timeout=10)
        end.on_grade = lambda fn: {"points": 1.0, "message": ""}
        ran = end.run_cells(cells, set(), 60, grade_cells)
        return [json.loads(output) for output in ran[-1]["outputs"]]
    finally:
        worker.kill()


def found_in(outputs) -> set[str]:
    text = "".join(o.get("text", "") for o in outputs)
    assert text.startswith("found: "), outputs
    return set(json.loads(text.removeprefix("found: ").strip().replace("'", '"')))


@pytest.fixture(scope="module")
def zygote():
    from grader.sealed.session import Assignment
    from grader.sealed.spawn import Zygote

    zygote = Zygote(Assignment.load(course.ROOT).limits)
    zygote.wait_ready()
    yield zygote
    zygote.close()


def test_no_instructor_only_line_is_in_a_workers_memory(zygote, source_nb, release_nb):
    """Can a student cell that walks the worker's memory find a solution or hidden-test line? It must not.

    Lines the worker holds without any notebook (a torch docstring's `return loss`) are not the notebook's:
    a worker given only the scan names them. A worker given the grade cells in their instructor form shows
    that the scan finds hidden tests where they are; a whole sealed grading (graded run and feedback run) of
    a notebook solved in other words, with the scan as its last cell, must find none, in either run.
    """
    from grader.sealed import intake
    from grader.sealed.session import Assignment, _cells_to_run, grade_submission

    wanted = instructor_only_lines(source_nb, release_nb)
    assignment = Assignment.load(course.ROOT)
    baseline = found_in(run_in_a_worker(zygote, [(0, scan_cell(wanted, allowed=wanted))], {}))
    assert not {wanted[h] for h in baseline} & {"### BEGIN HIDDEN TESTS", "### BEGIN SOLUTION"}

    nb = samples.filled_notebook(release_nb, {}, OWN_WORDS)
    assert not {line.strip() for text in OWN_WORDS.values() for line in text.splitlines()} & set(wanted.values())
    nb.cells.append(nbformat.v4.new_code_cell(scan_cell(wanted, baseline)))
    cells, graded, _ = _cells_to_run(nb, assignment)
    grade_cells = {index: fn for fn, index in graded.items()}
    instructor_form = [
        (i, assignment.grade_sources[f"test_{grade_cells[i]}"] if i in grade_cells else s) for i, s in cells[:-1]
    ]
    instructor_form.append((cells[-1][0], scan_cell(wanted, allowed=wanted)))
    leaked = found_in(run_in_a_worker(zygote, instructor_form, grade_cells))
    assert {wanted[h] for h in leaked} >= {"### BEGIN HIDDEN TESTS", 'award("mse", globals())'}

    handed = intake.Handed(nbformat.writes(nb).encode())
    result = grade_submission("scan", handed, assignment, zygote)
    scan_index = len(nb.cells) - 1
    assert not [p for p in result.problems if p.startswith(f"cell {scan_index} ")], result.problems  # never exited
    found = found_in(result.outputs[scan_index])
    assert found <= baseline, sorted(wanted[h] for h in found - baseline)


# -- limits: a notebook just under each is graded whole, just over each is told which limit, in words ---------


def solved_with(cells: list[str], markdown: int = 0):
    """The solved release notebook with code `cells` after its first cell and `markdown` cells at its end."""
    source_nb, release_nb = (nbformat.read(path, as_version=4) for path in (SOURCE_NB, RELEASE_NB))
    nb = samples.filled_notebook(release_nb, samples.solution_sources(source_nb), {})
    nb.cells[1:1] = [nbformat.v4.new_code_cell(text) for text in cells]
    nb.cells.extend(nbformat.v4.new_markdown_cell("x") for _ in range(markdown))
    return nb


SOURCE_NB = course.ROOT / "source" / "lesson2_sgd" / "lesson2_sgd.ipynb"
RELEASE_NB = course.ROOT / "release" / "lesson2_sgd" / "lesson2_sgd.ipynb"


def grade_handed(zygote, nb_or_bytes, tmp_path=None):
    """Grade a notebook sealed; bytes are written to a submission folder and read there, as intake reads them."""
    from grader.sealed import intake
    from grader.sealed.session import Assignment, grade_submission

    data = nb_or_bytes if isinstance(nb_or_bytes, bytes) else nbformat.writes(nb_or_bytes).encode()
    if tmp_path is None:
        return grade_submission("limits", intake.Handed(data), Assignment.load(course.ROOT), zygote)
    path = tmp_path / "submitted" / "limits" / "lesson2_sgd" / "lesson2_sgd.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return grade_submission("limits", path, Assignment.load(course.ROOT), zygote)


def exactly(nb, size: int) -> bytes:
    """The notebook's bytes with its first code cell's string padded so the file is exactly `size` bytes."""
    data = nbformat.writes(nb).encode()
    return data.replace(b"PAD", b"P" * (size - len(data) + 3), 1)


def test_a_notebook_of_exactly_32_mib_in_one_cell_is_graded_and_one_byte_more_is_refused_saying_why(zygote, tmp_path):
    """Is a notebook at the size limit, nearly all one cell, graded whole (the cell runs), and one byte over refused?

    A 25 MiB cell once ended the worker before any cell ran (its source was over one protocol string), which
    the grader then reported as an internal TypeError: a cell of any size within the notebook limit must run.
    """
    from grader.sealed.intake import MAX_NOTEBOOK_BYTES

    nb = solved_with(['big = "PAD"\nprint(len(big))'])
    under = grade_handed(zygote, exactly(nb, MAX_NOTEBOOK_BYTES), tmp_path)
    assert under.total == 20 and not under.problems, under.problems
    assert int(under.outputs[1][0]["text"]) > 31 * 2**20
    over = grade_handed(zygote, exactly(nb, MAX_NOTEBOOK_BYTES + 1), tmp_path)
    assert over.total == 0 and over.rejected and f"over the {MAX_NOTEBOOK_BYTES} byte limit" in over.rejected


def test_a_notebook_of_2000_cells_is_graded_and_one_of_2001_is_refused_saying_why(zygote):
    """Is a notebook with as many cells as the limit allows graded whole, and one cell more refused in words?"""
    from grader.sealed.intake import MAX_CELLS

    under = solved_with([])
    under.cells.extend(nbformat.v4.new_markdown_cell("x") for _ in range(MAX_CELLS - len(under.cells)))
    graded = grade_handed(zygote, under)
    assert graded.total == 20 and not graded.problems, graded.problems
    under.cells.append(nbformat.v4.new_markdown_cell("x"))
    refused = grade_handed(zygote, under)
    assert refused.total == 0 and f"{MAX_CELLS + 1} cells, over the limit of {MAX_CELLS}" in refused.rejected


SHOW = "from IPython.display import display\nfor size in {sizes}:\n    display({{'text/plain': 'y' * size}}, raw=True)"


def test_each_output_limit_is_said_in_the_cell_just_over_it_and_nothing_is_cut_just_under_it(zygote):
    """Does each cell just under an output limit show everything, and each just over it say which limit it hit?

    The notebook's limit on all outputs together comes last: cells that fill it, then a cell past it. The
    grade cells still show their points (20 in all: the limits cost the student nothing else).
    """
    from grader.sealed import worker as w

    envelope = len(json.dumps([{"text/plain": ""}, {}]))
    per_output, (whole, rest) = w.MAX_ONE_OUTPUT - envelope, divmod(w.MAX_CELL_RICH, w.MAX_ONE_OUTPUT)
    cells = {  # cell -> (its code, the limit's words just over it, or None just under it)
        "print under": (f"print('z' * {w.MAX_CELL_OUTPUT - 1})", None),  # print adds a newline
        "print over": (f"print('z' * {w.MAX_CELL_OUTPUT})", f"limit of {w.MAX_CELL_OUTPUT} characters per cell"),
        "output under": (SHOW.format(sizes=[per_output]), None),
        "output over": (SHOW.format(sizes=[per_output + 1]), f"limit of {w.MAX_ONE_OUTPUT} characters per output"),
        "cell under": (SHOW.format(sizes=[per_output] * whole + [rest - envelope]), None),
        "cell over": (
            SHOW.format(sizes=[per_output] * whole + [rest - envelope + 1]),
            f"limit of {w.MAX_CELL_RICH} characters of displays per cell",
        ),
        "count under": (SHOW.format(sizes=[1] * w.MAX_CELL_OUTPUTS), None),
        "count over": (
            SHOW.format(sizes=[1] * (w.MAX_CELL_OUTPUTS + 1)),
            f"limit of {w.MAX_CELL_OUTPUTS} outputs per cell",
        ),
        "error under": (f"raise ValueError('e' * {w.MAX_ERROR_TEXT})", None),
        "error over": (
            f"raise ValueError('e' * {w.MAX_ERROR_TEXT + 1})",
            f"over the grader's limit of {w.MAX_ERROR_TEXT}",
        ),
    }
    fill = [SHOW.format(sizes=[per_output] * whole)] * 6  # with the cells above, more than the notebook may show
    codes = [code for code, _ in cells.values()] + fill + [SHOW.format(sizes=[per_output])]
    result = grade_handed(zygote, solved_with(codes))
    assert result.total == 20, result.problems
    shown = [json.dumps(result.outputs[i + 1]) for i in range(len(codes))]
    for (name, (_, words)), text in zip(cells.items(), shown, strict=False):
        assert ("over the grader's limit" in text) == (words is not None), f"{name}: {text[:300]}"
        assert words is None or words in text, f"{name}: {text[:300]}"
    assert f"limit of {w.MAX_NOTEBOOK_OUTPUT} characters of outputs per notebook" in shown[-1]


def test_a_notebook_past_its_count_of_outputs_says_so_and_is_graded_whole(zygote):
    """After 10,000 outputs in a notebook, does the next cell say which limit left its output out?"""
    from grader.sealed import worker as w

    codes = [SHOW.format(sizes=[1] * w.MAX_CELL_OUTPUTS)] * (w.MAX_NOTEBOOK_OUTPUTS // w.MAX_CELL_OUTPUTS)
    result = grade_handed(zygote, solved_with([*codes, "print('one more')"]))
    assert result.total == 20, result.problems
    assert f"limit of {w.MAX_NOTEBOOK_OUTPUTS} outputs per notebook" in json.dumps(result.outputs[len(codes) + 1])
