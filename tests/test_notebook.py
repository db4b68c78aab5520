"""The instructor notebook: the seed's bilingual lesson, nbgrader cells, and a clean run."""

import copy
import json
import re
import subprocess

import pytest
from conftest import SOURCE
from nbclient import NotebookClient

from grader import FUNCTIONS, POINTS
from grader.course import ROOT

CJK = re.compile(r"[\u4e00-\u9fff]")
SEED_ORDER = [
    "Linear Regression problem 线性回归问题",
    "mean squared error",
    "a = (-1.0,1.0)",
    "Gradient Descent 梯度下降",
    "Animate it! 过程动画化",
    "mini-batches",
    "Vocab 术语",
    "cross entropy loss",
    "Extension: cross-entropy 扩展:交叉熵",
]


def nbgrader_cells(nb, kind):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get(kind)]


def test_committed_notebooks_have_no_outputs():
    """Is every notebook in git committed without outputs?"""
    listing = ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.ipynb"]
    tracked = subprocess.run(listing, cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert tracked
    for path in tracked:
        nb = json.loads((ROOT / path).read_text())
        assert not any(c.get("outputs") for c in nb["cells"]), path


def test_grade_cells_carry_the_points_table(source_nb):
    """Does each function have one solution cell and one locked grade cell worth its points, in order?"""
    solutions = [c.metadata.nbgrader.grade_id for c in nbgrader_cells(source_nb, "solution")]
    grades = {c.metadata.nbgrader.grade_id: c.metadata.nbgrader for c in nbgrader_cells(source_nb, "grade")}
    assert solutions == list(FUNCTIONS)
    assert {gid: meta.points for gid, meta in grades.items()} == {f"test_{fn}": p for fn, p in POINTS.items()}
    assert all(meta.locked for meta in grades.values())


def test_each_grade_cell_follows_a_locked_check_cell_and_holds_only_the_hidden_award(source_nb):
    """Is each grade cell preceded by a read-only check cell of visible asserts, and is it only the hidden award?

    Visible asserts outside the grade cell: a failing one must not zero the partial credit the grade cell shows.
    """
    cells = source_nb.cells
    for i, cell in enumerate(cells):
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("grade"):
            continue
        fn = meta.grade_id.removeprefix("test_")
        check = cells[i - 1]
        assert check.metadata.nbgrader.grade_id == f"check_{fn}" and check.metadata.nbgrader.locked
        assert "assert " in check.source and " / " in check.source  # bilingual messages
        visible, hidden = cell.source.split("### BEGIN HIDDEN TESTS")
        assert all(line.startswith("#") for line in visible.strip().splitlines())
        assert hidden.strip() == f'from grader.hidden import award\naward("{fn}", globals())\n### END HIDDEN TESTS'


def test_lesson_is_bilingual_in_the_seed_order(source_nb):
    """Does every markdown cell hold English and Chinese, with the seed's sections in the seed's order?"""
    markdown = [c.source for c in source_nb.cells if c.cell_type == "markdown"]
    assert all(CJK.search(text) and re.search(r"[A-Za-z]{4}", text) for text in markdown)
    text = "\n".join(markdown)
    positions = [text.find(heading) for heading in SEED_ORDER]
    assert -1 not in positions and positions == sorted(positions), dict(zip(SEED_ORDER, positions, strict=False))


def test_lesson_uses_the_english_originals_fixes(source_nb):
    """Is the noise unbiased (0.25 * randn), are plots given x@a.detach(), and is every draw seeded?"""
    code = "\n".join(c.source for c in source_nb.cells if c.cell_type == "code")
    assert "0.25 * torch.randn(n, generator=g)" in code and "torch.rand(n)" not in code
    assert "x@a.detach()" in code
    draws = re.findall(r"torch\.(?:randn|rand|randint|randperm)\(([^)]*)\)|uniform_\(([^)]*)\)", code)
    assert draws and all("generator" in "".join(args) for args in draws)


def test_lesson_explains_why_the_noise_changed(source_nb):
    """Does the lesson say, in both languages, why its noise is 0.25 * randn and not the original's rand?"""
    notes = [c.source for c in source_nb.cells if c.cell_type == "markdown" and "`torch.rand(n)`" in c.source]
    assert len(notes) == 1 and "0.25 * torch.randn(n)" in notes[0]
    assert "mean 0.5" in notes[0] and "均值为 0.5" in notes[0]


@pytest.fixture(scope="module")
def executed(source_nb):
    """The source notebook (solutions in) run top to bottom in a fresh kernel, as a student would."""
    nb = copy.deepcopy(source_nb)
    resources = {"metadata": {"path": str(SOURCE.parent)}}
    NotebookClient(nb, timeout=120, kernel_name="python3", resources=resources).execute()
    return nb


def test_solution_notebook_runs_without_errors_or_stderr(executed):
    """Does the solved notebook run cleanly in a fresh process, with nothing on stderr in any cell?"""
    for cell in executed.cells:
        for out in cell.get("outputs", []):
            assert out.output_type != "error", f"{out.ename}: {out.evalue}"
            assert not (out.output_type == "stream" and out.name == "stderr"), out.text


def test_grade_cells_show_their_points_as_a_number(executed):
    """Does each grade cell show exactly its points as its value (nbgrader reads that as the score)?"""
    for cell in nbgrader_cells(executed, "grade"):
        results = [o for o in cell.outputs if o.output_type == "execute_result"]
        assert len(results) == 1 and float(results[0].data["text/plain"]) == cell.metadata.nbgrader.points


def test_animation_stays_small(executed):
    """Is the animation under 1 MB in the notebook?"""
    html = [o for c in executed.cells for o in c.get("outputs", []) if "text/html" in o.get("data", {})]
    assert len(html) == 1 and "Animation" in html[0].data["text/html"]
    assert len(html[0].data["text/html"]) < 1_000_000
