"""The grader's guards that need no sandbox: the static scan, inert output, and the intake of submitted files."""

import os
from pathlib import Path

import nbformat
import pytest

from grader import FUNCTIONS, class_summary, inert, samples
from grader.course import ROOT
from grader.sealed import intake, scan
from grader.sealed.session import FunctionResult

ATTACKS = Path(__file__).parent / "attacks"
CATALOGUE = Path(__file__).parent / "catalogue"


def own_cells(nb):
    return [
        (i, c.source)
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and not c.metadata.get("nbgrader", {}).get("grade")
    ]


def scanned(release_nb, source_nb, function, code):
    nb = samples.filled_notebook(release_nb, samples.solution_sources(source_nb), {function: code})
    return scan.scan_cells(own_cells(nb))


# -- static scan -------------------------------------------------------------------------------------------


def test_honest_solutions_scan_clean(release_nb, source_nb):
    """Do the samples and every passing catalogue entry scan without a single finding?"""
    dirty = {}
    for path in sorted(samples.SAMPLES_DIR.glob("*.py")):
        if path.stem.startswith("fail_cross_entropy_builtin"):
            continue
        found = scan.scan_cells(own_cells(samples.sample_notebook(path, release_nb, source_nb)))
        if any(found.by_function.values()):
            dirty[path.stem] = found.by_function
    for path in sorted(CATALOGUE.glob("*/pass_*.py")):
        found = scanned(release_nb, source_nb, path.parent.name, path.read_text())
        if any(found.by_function.values()):
            dirty[path.name] = found.by_function
    assert not dirty


@pytest.mark.parametrize(
    "code, kind",
    [
        ("import torch.nn.functional as F\ndef cross_entropy(l, t):\n    return F.cross_entropy(l, t)\n", "forbidden"),
        ("from torch.nn.functional import nll_loss as n\ndef cross_entropy(l, t):\n    return n(l, t)\n", "forbidden"),
        ("import torch\ndef cross_entropy(l, t):\n    return getattr(torch, 'log_' + 'softmax')(l, 1)\n", "forbidden"),
        ("import torch\n_f = torch.nn.CrossEntropyLoss()\ndef cross_entropy(l, t):\n    return _f(l, t)", "forbidden"),
        ("import torch\ndef cross_entropy(l, t):\n    return torch.ops.aten._log_softmax(l, 1, False)\n", "forbidden"),
        (
            "from torch.utils._python_dispatch import _disable_current_modes\n"
            "def cross_entropy(l, t):\n    return l.sum()\n",
            "blinding",
        ),
        ("import torch\ndef cross_entropy(l, t):\n    torch._C._pop_torch_dispatch_mode()\n", "blinding"),
        ("import sys\ndef cross_entropy(l, t):\n    return sys._getframe(1).f_globals\n", "blinding"),
        ("import gc\ndef cross_entropy(l, t):\n    return gc.get_objects()\n", "blinding"),
        ("import ctypes\ndef cross_entropy(l, t):\n    return l\n", "blinding"),
        ("def cross_entropy(l, t):\n    exec('x = 1')\n    return l\n", "suspicious"),
        ("import torch\ntorch.allclose = lambda *a, **k: True\ndef cross_entropy(l, t):\n    return l\n", "suspicious"),
        ("def cross_entropy(l, t):\n    return open('/proc/self/fd/3')\n", "suspicious"),
        ("def cross_entropy(l, t):\n    return l\nget_ipython().input_transformers_cleanup.append(str)", "suspicious"),
    ],
)
def test_the_scan_finds_each_way_to_hide_a_call(release_nb, source_nb, code, kind):
    """Does the scan see forbidden built-ins by any visible spelling, and the machinery that blinds a tracer?"""
    found = scanned(release_nb, source_nb, "cross_entropy", code)
    assert found.of("cross_entropy", kind), found.by_function


def test_ordinary_variable_names_are_not_findings(release_nb, source_nb):
    """Is an honest function whose variables happen to be called ops, modules or library left alone?"""
    code = (
        "import torch\ndef cross_entropy(logits, target):\n    ops, modules, library = [], {}, None\n"
        "    m = logits.max(1, keepdim=True).values\n    z = logits - m\n"
        "    return (z.exp().sum(1).log() - z.gather(1, target[:, None])[:, 0]).mean()\n"
    )
    assert not any(scanned(release_nb, source_nb, "cross_entropy", code).by_function.values())


ATTRIBUTES = ["import sys\nsys.modules['torch']", "import torch\ntorch.library", "import os\nos.kill"]


@pytest.mark.parametrize("code", ATTRIBUTES)
def test_the_same_words_as_attributes_are_still_findings(release_nb, source_nb, code):
    """Are sys.modules, torch.library and os.kill inside a function still suspicious?"""
    body = code.replace("\n", "\ndef cross_entropy(l, t):\n    return ", 1)
    assert scanned(release_nb, source_nb, "cross_entropy", body).of("cross_entropy", "suspicious")


def test_a_module_level_comparison_with_f_cross_entropy_is_not_a_finding(release_nb, source_nb):
    """Is a student's own check against F.cross_entropy outside any function left alone?"""
    code = (
        "import torch\nimport torch.nn.functional as F\n"
        "def cross_entropy(l, t):\n    return (l.logsumexp(1) - l[range(len(t)), t]).mean()\n"
        "print(F.cross_entropy(torch.zeros(2, 3), torch.tensor([0, 1])))\n"
    )
    found = scanned(release_nb, source_nb, "cross_entropy", code)
    assert not any(found.by_function.values())


def verdicts(points=4.0, forbidden_check="passed"):
    return {
        fn: FunctionResult(points, checks={scan.FORBIDDEN_CHECK: forbidden_check} if fn == scan.GUARDED else {})
        for fn in FUNCTIONS
    }


@pytest.mark.parametrize(
    "attack",
    [
        "forbidden_cross_entropy_under_disable_current_modes",
        "forbidden_cross_entropy_unseen_by_scan_and_tracer",
        "forbidden_cross_entropy_in_another_thread",
    ],
)
def test_a_forbidden_call_next_to_blinding_code_scores_zero(release_nb, source_nb, attack):
    """Is F.cross_entropy under _disable_current_modes, by reversed names with the worker's tracing swapped out,
    or in another thread (each 4/4 before), a certain breach: 0 points, and why?"""
    code = (ATTACKS / f"{attack}.py").read_text()
    functions = verdicts()
    problems = scan.judge(functions, scanned(release_nb, source_nb, "cross_entropy", code))
    assert functions["cross_entropy"].points == 0 and "forbidden built-in" in functions["cross_entropy"].message
    assert problems and all(functions[fn].points == 4.0 for fn in FUNCTIONS if fn != "cross_entropy")


def test_a_forbidden_name_the_checks_never_saw_goes_to_manual_grading(release_nb, source_nb):
    """Is a forbidden built-in in the source that the tracer did not see sent to manual grading, with the reason?"""
    code = "import torch.nn.functional as F\ndef cross_entropy(l, t):\n    if False:\n        return F.nll_loss(l, t)\n"
    functions = verdicts()
    scan.judge(functions, scanned(release_nb, source_nb, "cross_entropy", code))
    assert functions["cross_entropy"].points == 4.0
    assert "never saw run" in functions["cross_entropy"].manual_reason


def test_suspicious_code_sends_only_its_function_to_manual_grading(release_nb, source_nb):
    """Is a frame trick in update's cell a manual-grading reason for update alone?"""
    code = "import sys\ndef update(x, y, a, lr):\n    sys._getframe(1)\n    return mse(x @ a, y)\n"
    functions = verdicts(points=3.0)
    scan.judge(functions, scanned(release_nb, source_nb, "update", code))
    flagged = [fn for fn, v in functions.items() if v.manual_reason]
    assert flagged == ["update"] and "_getframe" in functions["update"].manual_reason


# -- inert output ------------------------------------------------------------------------------------------


def test_plain_strips_escapes_and_controls_but_keeps_text():
    """Are ANSI/OSC escapes, control characters and bidi overrides gone, and markup left as literal text?"""
    text = "[red]x[/] \x1b[2J\x1b]0;title\x07ok\r\x00\u202eevil\nnext\tcol"
    assert inert.plain(text) == "[red]x[/] okevil\nnext\tcol"


@pytest.mark.parametrize("cell", ["=1+2", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_csv_cells_that_a_spreadsheet_would_evaluate_are_neutralised(cell):
    """Does every cell starting like a formula get a leading apostrophe?"""
    assert inert.csv_cell(cell).startswith("'")


def test_class_summary_figures_do_not_parse_student_text_as_math(tmp_path):
    """Does a failure message with $\\rt$ (which crashed mathtext) draw as plain text?"""
    from grader.sealed.session import SubmissionResult

    bad = FunctionResult(0.0, mistakes={"check": "ValueError: $\\rt$ \x1b[31m[red]x[/]"}, checks={"check": "failed"})
    result = SubmissionResult("=cmd|' /C calc'!A0", {fn: bad for fn in FUNCTIONS}, ["$\\rt$ <script>"])
    csv_path, html_path = class_summary.write(tmp_path, [result])
    assert "'=cmd" in csv_path.read_text()
    page = html_path.read_text()
    assert "&lt;script&gt;" in page and "<script>" not in page


# -- intake ------------------------------------------------------------------------------------------------


def submitted(tmp_path, student="s1"):
    folder = tmp_path / "submitted" / student / "lesson2_sgd"
    folder.mkdir(parents=True)
    return folder / "lesson2_sgd.ipynb"


def test_a_regular_notebook_is_read(tmp_path, release_nb):
    """Is an ordinary notebook inside its folder read as it is?"""
    path = submitted(tmp_path)
    nbformat.write(release_nb, path)
    assert intake.take(path) == intake.Handed(path.read_bytes())


@pytest.mark.parametrize(
    "make, says",
    [
        (lambda p, t: p.symlink_to(t / "secret.ipynb"), "symbolic link"),
        (lambda p, t: os.mkfifo(p), "not a regular file"),
        (lambda p, t: p.write_bytes(b"{" + b" " * (32 * 2**20)), "byte limit"),
        (lambda p, t: p.write_bytes(b'{"cells": "\xff\xfe"}'), "not UTF-8"),
    ],
)
def test_a_submission_that_is_not_a_plain_notebook_is_refused_saying_why(tmp_path, make, says):
    """Is a symlink, FIFO, oversized or non-UTF-8 notebook never read, and refused with the reason?"""
    (tmp_path / "secret.ipynb").write_text("### BEGIN SOLUTION")
    path = submitted(tmp_path)
    make(path, tmp_path)
    handed = intake.take(path)
    assert handed.data is None and says in handed.rejected
    assert intake.refusal(path) == handed.rejected or says == "not UTF-8"  # the one refusal that needs the bytes


def test_a_symlinked_student_folder_is_refused(tmp_path, release_nb):
    """Is submitted/<student> that links elsewhere refused as well?"""
    elsewhere = tmp_path / "elsewhere" / "lesson2_sgd"
    elsewhere.mkdir(parents=True)
    nbformat.write(release_nb, elsewhere / "lesson2_sgd.ipynb")
    (tmp_path / "submitted").mkdir()
    (tmp_path / "submitted" / "s2").symlink_to(tmp_path / "elsewhere")
    path = tmp_path / "submitted" / "s2" / "lesson2_sgd" / "lesson2_sgd.ipynb"
    assert "symbolic link" in intake.take(path).rejected and "symbolic link" in intake.refusal(path)


# -- the student's error boundary --------------------------------------------------------------------------


def test_whatever_breaks_while_grading_a_student_becomes_that_students_error(tmp_path, monkeypatch, release_nb):
    """Does an unexpected exception while grading one submission give it 0, not a crash, and the student plain words?

    The exception itself is the instructor's to read (the run's problems), never the student's (the verdicts).
    """
    from grader.sealed import session

    path = submitted(tmp_path)
    nbformat.write(release_nb, path)

    def broken(self):
        raise OverflowError("a value the grader did not expect")

    monkeypatch.setattr(session._Run, "grade", broken)
    result = session.grade_submission("s1", path, session.Assignment.load(ROOT), None)
    assert result.total == 0 and set(result.functions) == set(FUNCTIONS)
    assert any("OverflowError" in p for p in result.problems)
    assert all("through no fault of your code" in v.message for v in result.functions.values())
    assert not [v.message for v in result.functions.values() if "OverflowError" in v.message or "expect" in v.message]


def test_a_grade_id_that_is_not_a_string_is_no_grade_cell(release_nb):
    """Is a grade cell whose grade_id was turned into a list treated as deleted (that function 0), not a crash?"""
    from grader.sealed.session import Assignment, _cells_to_run

    nb = nbformat.reads(nbformat.writes(release_nb), as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_update")
    cell.metadata.nbgrader.grade_id = ["test_update"]
    _, graded, ungraded = _cells_to_run(nb, Assignment.load(ROOT))
    assert "update" not in graded and "test_update was deleted" in ungraded["update"]


@pytest.mark.parametrize(
    "extra, says",
    [
        (lambda folder: (folder / "notes.txt").symlink_to("/dev/zero"), "notes.txt is a symbolic link"),
        (lambda folder: os.mkfifo(folder / "timestamp.txt"), "timestamp.txt is not a regular file"),
    ],
)
def test_a_link_or_fifo_beside_the_notebook_refuses_the_whole_submission(tmp_path, release_nb, extra, says):
    """Is a symlink or FIFO handed in beside the notebook (nbgrader copies every file) refused, saying which?"""
    path = submitted(tmp_path)
    nbformat.write(release_nb, path)
    extra(path.parent)
    assert says in intake.take(path).rejected and says in intake.refusal(path)


def test_a_link_beside_a_missing_notebook_is_refused_too(tmp_path):
    """With no notebook handed in, is a symlink beside it still refused (nbgrader would copy what it points to)?"""
    path = submitted(tmp_path)
    (path.parent / "notes.txt").symlink_to("/etc/hostname")
    assert "notes.txt is a symbolic link" in intake.refusal(path)


@pytest.mark.parametrize("extra", [0, 1])
def test_a_folder_of_1000_entries_is_read_and_one_more_is_refused_saying_why(tmp_path, release_nb, extra):
    """Is a submission folder holding exactly as many files as allowed read, and one file more refused in words?"""
    path = submitted(tmp_path)
    nbformat.write(release_nb, path)
    for i in range(intake.MAX_ENTRIES - 1 + extra):  # the notebook is one entry
        (path.parent / f"f{i}.txt").touch()
    handed = intake.take(path)
    if extra:
        assert handed.data is None and f"more than {intake.MAX_ENTRIES} files" in handed.rejected
    else:
        assert handed.data == path.read_bytes() and intake.refusal(path) is None


@pytest.mark.parametrize("extra", [0, 1])
def test_a_folder_of_64_mib_is_read_and_one_byte_more_is_refused_saying_why(tmp_path, release_nb, extra):
    """Is a submission folder of exactly the allowed bytes read, and one byte more refused, saying the limit?"""
    path = submitted(tmp_path)
    nbformat.write(release_nb, path)
    with open(path.parent / "data.bin", "wb") as f:  # sparse: no 64 MiB written
        f.truncate(intake.MAX_FOLDER_BYTES - path.stat().st_size + extra)
    handed = intake.take(path)
    if extra:
        assert handed.data is None and f"more than {intake.MAX_FOLDER_BYTES} bytes" in handed.rejected
    else:
        assert handed.data == path.read_bytes()


@pytest.mark.parametrize(
    "change",
    [
        lambda src: src.replace('award("mse", globals())', 'award("mse", globals())\nassert mse is not None'),
        lambda src: src.replace('award("mse", globals())', 'award("update", globals())'),
        lambda src: src.replace("### END HIDDEN TESTS", "### END HIDDEN TESTS\nprint('after')"),
    ],
    ids=["more hidden code", "another function", "visible code after the hidden part"],
)
def test_hidden_code_beyond_the_award_call_stops_grading_saying_why(source_nb, release_nb, change):
    """Does a course whose grade cell hides more than the award() call (which a worker never runs) refuse to grade?"""
    from grader.sealed.session import UnknownHiddenTests, check_hidden_part

    cells = [c for c in source_nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_mse"]
    released = [c for c in release_nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_mse"]
    check_hidden_part("test_mse", cells[0].source, released[0].source)  # the course as it is: accepted
    with pytest.raises(UnknownHiddenTests, match="grade cell test_mse: sealed grading runs its release text"):
        check_hidden_part("test_mse", change(cells[0].source), released[0].source)
