"""Similarity across submissions: copies in the usual disguises are flagged and ranked first; independent correct
solutions, the template and the obvious answer are not; hostile or broken notebooks do not break it."""

import ast
import csv
import json
import os
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pytest
import similarity_cases as cases
from matplotlib.colors import to_rgb
from test_class_summary import screenshot, submission

from grader import ASSIGNMENT, FUNCTIONS, class_summary, samples, similarity
from grader.__main__ import main
from grader.course import NOTEBOOK, ROOT
from grader.similarity import report, tokens
from grader.similarity.comparison import Settings, Template, analyse, compare
from grader.similarity.rewrite import Rewriter
from grader.similarity.submission import MAX_CELL_CHARS, MAX_OWN_CHARS
from grader.similarity.submission import NOTEBOOK as WHOLE

CATALOGUE = Path(__file__).parent / "catalogue"
SETTINGS = Settings()


@pytest.fixture(scope="module")
def template():
    return Template.load(ROOT, SETTINGS)


@pytest.fixture(scope="module")
def notebooks(release_nb, source_nb):
    """submission dict (similarity_cases' form) -> the notebook's bytes, as a student hands it in."""
    solutions = samples.solution_sources(source_nb)

    def build(submission: dict) -> bytes:
        own = {k: v for k, v in submission.items() if k != "free"}
        nb = samples.filled_notebook(release_nb, solutions, own)
        for kind, text in submission.get("free", []):
            nb.cells.append(nbformat.v4.new_code_cell(text) if kind == "code" else nbformat.v4.new_markdown_cell(text))
        return nbformat.writes(nb).encode()

    return build


def catalogue_course() -> dict[str, dict]:
    """Student i wrote the catalogue's i-th correct solution of each function (the instructor's where none is left)."""
    passes = {fn: sorted((CATALOGUE / fn).glob("pass_*.py")) for fn in FUNCTIONS}
    return {
        f"independent_{i:02d}": {fn: found[i].read_text() for fn, found in passes.items() if i < len(found)}
        for i in range(max(len(found) for found in passes.values()))
    }


def compared(students: dict, notebooks, template, settings=SETTINGS):
    """Compare in memory: student -> submission dict (or the notebook's bytes)."""
    handed = {s: sub if isinstance(sub, bytes) else notebooks(sub) for s, sub in students.items()}
    return compare([analyse(s, data, template, settings) for s, data in handed.items()], settings)


def best_scores(comparison) -> dict[tuple[str, str], float]:
    best: dict[tuple[str, str], float] = {}
    for p in comparison.pairs:
        best[p.a, p.b] = max(best.get((p.a, p.b), 0.0), p.score)
    return best


@pytest.mark.parametrize("disguise", cases.DISGUISES)
def test_a_disguised_copy_is_flagged_and_ranked_above_every_independent_pair(disguise, notebooks, template):
    """Among independently written solutions, is a copy made with this disguise flagged, first, and the only one?"""
    course = {**catalogue_course(), "author": cases.ORIGINAL, "copier": cases.DISGUISES[disguise]}
    comparison = compared(course, notebooks, template)
    flagged = comparison.flagged()
    assert [(a, b) for a, b, _ in flagged] == [("author", "copier")], f"flagged: {flagged}"
    assert {p.part for p in flagged[0][2]} >= {"minibatch_sgd", "cross_entropy", WHOLE}
    best = best_scores(comparison)
    copied = best.pop(("author", "copier"))
    assert all(score < copied for score in best.values()), f"an independent pair ranks with the copy: {best}"


def test_independently_written_correct_solutions_are_not_flagged(notebooks, template):
    """Do the catalogue's correct solutions, written independently, stay unflagged, though they share idioms?"""
    comparison = compared(catalogue_course(), notebooks, template)
    assert comparison.flagged() == []
    assert max(best_scores(comparison).values(), default=0) < SETTINGS.flag_score
    # they do share passages: every function part of some pair overlaps somewhat (but less than a copy)
    assert any(p.shared for p in comparison.pairs)


def test_the_template_alone_is_never_similar(notebooks, template):
    """Are untouched release notebooks, and the instructor's own solutions, similar to nothing at all?"""
    course = {"blank_a": {}, "blank_b": {}, "blank_c": {}}
    comparison = compared(course, notebooks, template)
    assert comparison.pairs == []
    assert all(len(p.counted) == 0 for s in comparison.submissions.values() for p in s.parts.values())


def test_a_passage_most_of_the_class_shares_is_discounted_as_the_obvious_answer(notebooks, template):
    """Is a passage written by more than the cutoff of submissions left out, and named in the report as such?"""
    course = catalogue_course()
    for student in list(course)[:5]:  # five of twelve write the same minibatch_sgd: the class's obvious answer
        course[student] = {**course[student], "minibatch_sgd": cases.ORIGINAL["minibatch_sgd"]}
    comparison = compared(course, notebooks, template)
    assert comparison.cutoff < 5
    assert comparison.common["minibatch_sgd"], "the shared passage was not discounted"
    assert not any(p.part == "minibatch_sgd" and p.flagged for p in comparison.pairs)
    section = report.section(comparison)
    assert "The obvious answer" in section and "history = []" in section


def test_one_student_empty_and_unparsable_notebooks_do_not_break_it(notebooks, template):
    """Do a course of one, empty or broken notebooks, unparsable, huge and deeply nested cells give a report?"""
    alone = compared({"only": cases.ORIGINAL}, notebooks, template)
    assert alone.pairs == [] and "nothing to compare" in report.section(alone)

    broken_cells = {
        "syntax_error": {"free": [("code", "def f(:\n    return ((1 +\n")]},
        "deep": {"free": [("code", "(" * 5000 + ")" * 5000), ("code", "x = " + "1 + " * 20000 + "1")]},
        "huge": {"free": [("code", "y = 1\n" * (MAX_CELL_CHARS // 6 + 10))]},
        "null_bytes": {"free": [("code", "a = 1\x00\x00"), ("markdown", "\u202e\u0000 odd text")]},
        "magics": {"free": [("code", "%matplotlib inline\n!ls /\nx?\n")]},
    }
    course = {
        "empty_file": b"",
        "not_json": b"{not json",
        "not_a_notebook": b'{"cells": 5}',
        "odd_cells": json.dumps({"cells": [1, {"cell_type": "code", "source": [3, None]}, {"source": "x"}]}).encode(),
        "lone_surrogates": json.dumps({"cells": [{"cell_type": "code", "source": "s = '\ud800'"}]}).encode(),
        **{name: notebooks(sub) for name, sub in broken_cells.items()},
        "author": cases.ORIGINAL,
        "copier": cases.RENAMED,
    }
    comparison = compared(course, notebooks, template)
    assert [(a, b) for a, b, _ in comparison.flagged()] == [("author", "copier")]
    assert any("does not parse" in n for n in comparison.submissions["syntax_error"].notes)
    assert any("compared as text" in n for n in comparison.submissions["huge"].notes)
    assert "<section" in report.section(comparison)


def test_a_copied_cell_that_does_not_parse_is_still_compared_as_text(notebooks, template):
    """Is a copied cell with a syntax error, renamed, still found (the copier cannot hide behind broken code)?"""
    broken = cases.ORIGINAL["free"][0][1] + "\nfor oops in range(3)\n"
    renamed = broken.replace("trace", "curve").replace("per_epoch", "means").replace("axes", "ax")
    course = {**catalogue_course(), "author": {"free": [("code", broken)]}, "copier": {"free": [("code", renamed)]}}
    comparison = compared(course, notebooks, template)
    assert [(a, b, [p.part for p in ps]) for a, b, ps in comparison.flagged()] == [("author", "copier", [WHOLE])]


def test_work_per_submission_is_bounded(notebooks, template):
    """Is a notebook of very many large cells read only up to the limit, and said so?"""
    cell = "z = 1\n" * (MAX_CELL_CHARS // 6 - 1)
    many = {"free": [("code", f"{cell}q{i} = {i}\n") for i in range(3 * MAX_OWN_CHARS // MAX_CELL_CHARS)]}
    sub = analyse("many", notebooks(many), template, SETTINGS)
    assert sum(len(text) for text in sub.cells.values()) <= MAX_OWN_CHARS + MAX_CELL_CHARS
    assert any("not compared" in n for n in sub.notes)


def _tokens(source: str) -> list[str]:
    tree = tokens.parse(source)
    names = tokens.Names().add(tree)
    Rewriter(names.loaded, set(FUNCTIONS), lambda s: tokens.key(s, names)).module(tree)
    return tokens.code(tree, names, 10_000)[0]


def test_reordering_follows_dependencies_only():
    """Do independent statements in any order give the same tokens, while swapping dependent ones does not?"""

    def update(*body: str) -> str:
        return "def update(x):\n" + "".join(f"    {line}\n" for line in body)

    base = update("n = len(x)", "out = []", "m = x.sum()", "out.append(m / n)", "return out")
    independent = update("m = x.sum()", "out = []", "n = len(x)", "out.append(m / n)", "return out")
    assert _tokens(base) == _tokens(independent)
    dependent = update("n = len(x)", "out = []", "m = x.sum()", "m = m / n", "out.append(m)", "return out")
    swapped = update("n = len(x)", "out = []", "m = x.sum()", "out.append(m)", "m = m / n", "return out")
    assert _tokens(dependent) != _tokens(swapped)


def test_module_aliases_and_loops_reduce_to_one_form():
    """Do `F.mse_loss` and `torch.nn.functional.mse_loss`, and a loop and its comprehension, tokenise alike?"""
    short = "import torch.nn.functional as F\ndef mse(a, b):\n    return F.mse_loss(a, b)\n"
    full = "import torch\ndef mse(p, q):\n    return torch.nn.functional.mse_loss(p, q)\n"
    after_imports = [t[t.index("Def") :] for t in (_tokens(short), _tokens(full))]
    assert after_imports[0] == after_imports[1]
    loop = (
        "def update(xs):\n    ys = []\n    for v in xs:\n        if v:\n            ys.append(v * 2)\n    return ys\n"
    )
    comp = "def update(xs):\n    ys = [v * 2 for v in xs if v]\n    return ys\n"
    assert _tokens(loop) == _tokens(comp)


def _course(tmp_path: Path, students: dict[str, bytes]) -> Path:
    root = tmp_path / "course"
    for folder in ("source", "release"):
        shutil.copytree(ROOT / folder, root / folder)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    for student, data in students.items():
        path = root / "submitted" / student / ASSIGNMENT / NOTEBOOK
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
    return root


def test_the_command_writes_similarity_csv_and_the_summary_section(tmp_path, notebooks):
    """Does `python -m grader similarity` list the pair in similarity.csv and show it, escaped, in the summary?"""
    hostile = "<img src=x onerror=alert(1)>"
    copier = {**cases.RENAMED, "cross_entropy": cases.RENAMED["cross_entropy"] + "# </pre><script>alert(2)</script>\n"}
    undecodable = os.fsdecode(b"copier_\xff")  # a folder name that is not UTF-8
    students = {
        "author": notebooks(cases.ORIGINAL),
        hostile: notebooks(copier),
        undecodable: notebooks(cases.DISGUISED),
        "=cmd()": notebooks({}),
    }
    root = _course(tmp_path, students)
    (root / "submitted" / "linked" / ASSIGNMENT).mkdir(parents=True)
    os.symlink(root / "source" / ASSIGNMENT / NOTEBOOK, root / "submitted" / "linked" / ASSIGNMENT / NOTEBOOK)

    assert main(["similarity", "--root", str(root)]) == 0

    rows = list(csv.DictReader((root / "autograded" / "similarity.csv").open()))
    assert list(rows[0]) == ["student_a", "student_b", "part", "score", "flagged"]
    flagged = {(r["student_a"], r["student_b"], r["part"]) for r in rows if r["flagged"] == "yes"}
    assert (hostile, "author", "minibatch_sgd") in flagged and (hostile, "author", WHOLE) in flagged
    assert all(0 <= float(r["score"]) <= 1 for r in rows) and "=cmd()" not in {r["student_a"] for r in rows}
    page = (root / "autograded" / "class_summary.html").read_text()
    assert "<script>" not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "&lt;/pre&gt;&lt;script&gt;" in page
    assert "<mark>" in page and 'id="similarity-figure"' in page
    assert "linked" in page and "symbolic link" in page  # refused as grading refuses it, and said so
    assert ("author", "copier_\ufffd", WHOLE) in {(r["student_a"], r["student_b"], r["part"]) for r in rows}


def test_the_section_replaces_the_placeholder_of_the_graded_summary(tmp_path, notebooks, template):
    """After `grade` wrote the summary, does the comparison replace its placeholder, once, on every rerun?"""
    from grader import class_summary

    folder = tmp_path / "autograded"
    class_summary.write(folder, [])
    assert "Not compared in this run" in (folder / "class_summary.html").read_text()
    comparison = compared({"author": cases.ORIGINAL, "copier": cases.REORDERED}, notebooks, template)
    for _ in range(2):
        similarity.write(tmp_path, comparison)
    page = (folder / "class_summary.html").read_text()
    assert "Not compared in this run" not in page and page.count('<section id="similarity">') == 1
    assert page.index("<h2>Students</h2>") < page.index("Similarity 相似度")


def test_the_section_shows_its_figure_and_the_code_side_by_side_in_a_real_browser(tmp_path, notebooks, template):
    """Opened in headless Chromium, does the summary show the similarity figure after the others, and the flagged
    pair's shared lines marked in two columns?"""
    class_summary.write(tmp_path / "autograded", [submission(s, True, 1.0) for s in ("author", "copier")])
    comparison = compared(
        {**catalogue_course(), "author": cases.ORIGINAL, "copier": cases.DISGUISED}, notebooks, template
    )
    _, page = similarity.write(tmp_path, comparison)
    pixels = screenshot(page, tmp_path / "shot.png", height=6000)

    def drawn(colour: str) -> np.ndarray:
        return (np.abs(pixels - np.array(to_rgb(colour))) < 10 / 255).all(axis=-1)

    figure, marked = drawn(report.COLOUR), drawn(report.MARK)
    assert figure.sum() > 2000, "the similarity figure is not on the page as Chromium shows it"
    assert np.nonzero(figure)[0].mean() > np.nonzero(drawn(class_summary.COLOURS["runtime"]))[0].max()
    left, right = marked[:, :500].sum(), marked[:, 500:].sum()
    assert left > 2000 and right > 2000, f"shared lines not marked side by side: {left} and {right} pixels"
    assert np.nonzero(marked)[0].min() > np.nonzero(figure)[0].max(), "the pairs come after the figure"


def test_thresholds_come_from_nbgrader_config(tmp_path):
    """Does c.Similarity in nbgrader_config.py set the thresholds?"""
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.Similarity.flag_score = 0.9\n")
    assert Settings.load(tmp_path).flag_score == 0.9
    assert Settings.load(tmp_path).report_floor == SETTINGS.report_floor


def test_the_shipped_config_states_every_threshold():
    """Does nbgrader_config.py set each c.Similarity threshold (with its comment), as the docs promise?"""
    text = (ROOT / "nbgrader_config.py").read_text()
    assigned = {
        node.targets[0].attr
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Attribute)
        and ast.unparse(node.targets[0].value) == "c.Similarity"
    }
    assert assigned == {"flag_score", "report_floor", "small_part", "common_share", "common_at_least", "common_at_most"}
