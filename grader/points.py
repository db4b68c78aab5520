"""The points table: what each hidden check is worth, and how a function's score follows from the checks.

A check's points are earned when all its cpu cases pass. The "any device" points are earned when no cuda
or meta case failed where the same check passed on the cpu, and some other item was earned: a function
that works only on the CPU loses exactly those. Failing a REQUIRED check scores the whole function 0:
partial credit is for a function whose core is right.

This table is the one source of points: the notebook's grade cells (metadata `points`), the points named in
its exercise text and the table in docs/how-grading-works.md (DOC) are checked against it (`mismatches`), and
`python -m grader release` stops with PointsMismatch when one differs.
"""

import ast
import re
from pathlib import Path

ANY_DEVICE = "any device"
# Where the points table is shown to people, relative to the course root (the kit's own folder).
DOC = "docs/how-grading-works.md"

TABLE = {
    "mse": {
        "test_mse_value_matches_reference": 1.5,
        "test_mse_returns_0dim_tensor_of_input_dtype_and_device": 0.5,
        "test_mse_gradient_matches_reference": 1.0,
        "test_mse_leaves_inputs_unchanged": 0.5,
        ANY_DEVICE: 0.5,
    },
    "update": {
        "test_update_steps_against_the_gradient": 1.0,
        "test_update_steps_right_far_from_the_fit": 0.5,
        "test_update_takes_the_plain_step_on_every_call": 0.5,
        "test_update_returns_the_loss_before_the_step_with_its_graph": 1.0,
        "test_update_keeps_a_the_same_leaf_parameter": 0.5,
        "test_update_zeroes_grad": 1.0,
        "test_update_leaves_x_and_y_unchanged": 0.5,
        "test_update_loop_reaches_the_least_squares_fit": 0.5,
        ANY_DEVICE: 0.5,
    },
    "minibatch_sgd": {
        "test_minibatch_batches_have_size_bs_and_a_smaller_last_one": 1.0,
        "test_minibatch_batches_of_x_and_y_come_from_the_same_rows": 0.5,
        "test_minibatch_uses_every_row_once_per_epoch": 0.5,
        "test_minibatch_reshuffles_every_epoch": 1.0,
        "test_minibatch_honours_the_generator": 0.5,
        "test_minibatch_returns_every_batch_loss_as_a_float": 0.5,
        "test_minibatch_passes_a_and_lr_to_update": 0.5,
        "test_minibatch_leaves_x_and_y_unchanged": 0.5,
        "test_minibatch_sgd_reaches_the_least_squares_fit": 0.5,
        ANY_DEVICE: 0.5,
    },
    "cross_entropy": {
        "test_cross_entropy_value_matches_f_cross_entropy": 1.0,
        "test_cross_entropy_is_written_from_tensor_operations": 0.5,
        "test_cross_entropy_is_stable_for_huge_logits": 0.5,
        "test_cross_entropy_gradient_matches_f_cross_entropy": 0.5,
        "test_cross_entropy_returns_0dim_tensor_of_input_dtype_and_device": 0.5,
        "test_cross_entropy_leaves_inputs_unchanged": 0.5,
        ANY_DEVICE: 0.5,
    },
}

REQUIRED = {
    "test_mse_value_matches_reference",
    "test_update_steps_against_the_gradient",
    "test_minibatch_batches_of_x_and_y_come_from_the_same_rows",
    "test_cross_entropy_value_matches_f_cross_entropy",
    "test_cross_entropy_is_written_from_tensor_operations",
}

POINTS = {fn: sum(items.values()) for fn, items in TABLE.items()}


def lost_items(function: str, results) -> list[str]:
    """The items of TABLE[function] not earned, in table order. results: runner.CheckResult list."""
    by_check: dict[str, list] = {}
    for r in results:
        if r.check not in TABLE[function]:
            raise KeyError(f"check {r.check} of {function} is not in the points table")
        by_check.setdefault(r.check, []).append(r)
    lost = set()
    device_ok = True
    for check in TABLE[function]:
        cases = by_check.get(check, [])
        cpu = [r.outcome for r in cases if r.device == "cpu"]
        if check != ANY_DEVICE and ("failed" in cpu or "passed" not in cpu):
            lost.add(check)
        for r in cases:
            if r.device != "cpu":
                device_ok &= r.outcome != "failed" or check in lost  # the cpu failure already costs it
    if not device_ok or lost >= set(TABLE[function]) - {ANY_DEVICE}:
        lost.add(ANY_DEVICE)
    return [item for item in TABLE[function] if item in lost]


def score(function: str, lost: list[str]) -> float:
    """The points left after losing `lost`: 0 when a REQUIRED check is among them."""
    if REQUIRED & set(lost):
        return 0.0
    return POINTS[function] - sum(TABLE[function][item] for item in lost)


def questions(function: str) -> dict[str, str]:
    """Each check's question (the English line of its docstring), read from its file without importing it."""
    tree = ast.parse((Path(__file__).parent / "checks" / f"test_{function}.py").read_text())
    return {
        node.name: (ast.get_docstring(node) or node.name).splitlines()[0]
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }


def markdown_table() -> str:
    """The points table as docs/how-grading-works.md shows it (`python -m grader points` prints it)."""
    lines = ["| function | check: the question it answers | points |", "|---|---|---|"]
    for fn, items in TABLE.items():
        asked = questions(fn)
        for item, points in items.items():
            if item == ANY_DEVICE:
                name = "any device: no cuda or meta case fails where the cpu case passes"
            else:
                name = f"`{item.removeprefix('test_')}`: {asked[item]}"
            lines.append(f"| `{fn}` | {name}{' **(required)**' if item in REQUIRED else ''} | {points:g} |")
        lines.append(f"| `{fn}` | **total** | **{POINTS[fn]:g}** |")
    return "\n".join(lines)


class PointsMismatch(ValueError):
    """The notebook or docs/how-grading-works.md states other points than this table."""


# an exercise heading in the notebook: **Exercise 1 / 练习 1 (4 points 分):** write `mse(...`
EXERCISE_POINTS = re.compile(r"\((\d+(?:\.\d+)?) points?\b[^)]*\):\*\*\s*write `(\w+)\(")


def mismatches(notebook: Path, doc: Path | None = None) -> list[str]:
    """Where `notebook` (and `doc`, the table's page) state other points than TABLE, one line each ([] if none)."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    problems, graded, stated = [], set(), set()
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id", "")
        fn = grade_id.removeprefix("test_")
        if meta.get("grade") and fn in POINTS:
            graded.add(fn)
            if float(meta.get("points", 0)) != POINTS[fn]:
                problems.append(
                    f"{notebook.name}: cell {index} (grade cell {grade_id}) is worth {meta.get('points')} points in "
                    f"its metadata; grader/points.py gives `{fn}` {POINTS[fn]:g}"
                )
        if cell.cell_type == "markdown":
            for match in EXERCISE_POINTS.finditer(cell.source):
                written, fn = float(match.group(1)), match.group(2)
                if fn in POINTS:
                    stated.add(fn)
                    if written != POINTS[fn]:
                        problems.append(
                            f"{notebook.name}: cell {index} says `{fn}` is worth {written:g} points; "
                            f"grader/points.py gives {POINTS[fn]:g}"
                        )
    problems += [f"{notebook.name}: no grade cell test_{fn} for `{fn}`" for fn in POINTS if fn not in graded]
    problems += [f"{notebook.name}: no exercise text states the points of `{fn}`" for fn in POINTS if fn not in stated]
    if doc is not None and markdown_table() not in doc.read_text():
        problems.append(f"{doc.name}: its points table differs from grader/points.py (paste `python -m grader points`)")
    return problems


def check_consistency(notebook: Path, doc: Path | None = None) -> None:
    """Raise PointsMismatch, listing every difference, unless `notebook` and `doc` agree with TABLE."""
    problems = mismatches(notebook, doc)
    if problems:
        raise PointsMismatch(
            "The points differ from grader/points.py, the one source of points: change them there and in these "
            "places together.\n- " + "\n- ".join(problems)
        )
