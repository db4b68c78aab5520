"""Sample submissions: samples/<name>.py files turned into filled-in release notebooks.

A sample file holds `def` blocks for the contract functions it writes its own way (and the imports they
need); every other function keeps the source notebook's solution. `BASE = "release"` starts from the
untouched release instead. The name says the expected result: `pass_*` full marks, `blank_*` nothing,
`fail_<function>_*` full marks for the other functions and, for that one, the points left after losing
the points-table items its `CAUGHT_BY = (...)` names (grader/points.py).
"""

import ast
import copy
from pathlib import Path

import nbformat

from grader import ASSIGNMENT, FUNCTIONS, POINTS, points
from grader.course import NOTEBOOK, ROOT

SAMPLES_DIR = ROOT / "samples"
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


class BadSample(ValueError):
    """A sample file that does not follow the rules above."""


def sample_names() -> list[str]:
    return sorted(p.stem for p in SAMPLES_DIR.glob("*.py"))


def expected_scores(name: str) -> dict[str, float]:
    """The score per function that a sample's name (and, for fail_*, its CAUGHT_BY) promises."""
    full = {fn: float(p) for fn, p in POINTS.items()}
    if name.startswith("pass_"):
        return full
    if name.startswith("blank_"):
        return {fn: 0.0 for fn in FUNCTIONS}
    failing = [fn for fn in FUNCTIONS if name.startswith(f"fail_{fn}_")]
    if not failing:
        raise BadSample(f"{name}: a sample's name starts with pass_, blank_ or fail_<function>_")
    fn, caught_by = failing[0], tuple(constants(SAMPLES_DIR / f"{name}.py", "CAUGHT_BY").get("CAUGHT_BY", ()))
    if not caught_by or not set(caught_by) <= set(points.TABLE[fn]):
        raise BadSample(f"{name}: CAUGHT_BY must name the items of {fn}'s points table it loses, not {caught_by}")
    return {**full, fn: points.score(fn, list(caught_by))}


def constants(path: Path, *names: str) -> dict:
    """Those of `names` assigned a literal at a fixture file's top level (`A, B = x, y` too), without running it."""
    found = {}
    for node in ast.parse(path.read_text(), filename=str(path)).body:
        if isinstance(node, ast.Assign):
            targets = node.targets[0].elts if isinstance(node.targets[0], ast.Tuple) else node.targets
            values = node.value.elts if isinstance(node.value, ast.Tuple) and len(targets) > 1 else [node.value]
            for target, value in zip(targets, values, strict=False):
                if isinstance(target, ast.Name) and target.id in names:
                    found[target.id] = ast.literal_eval(value)
    return found


def parse_sample(path: Path) -> tuple[str, dict[str, str]]:
    """-> (base, {function: cell source}) without running the sample's code."""
    text = path.read_text()
    tree = ast.parse(text, filename=str(path))
    imports, defs = [], {}
    for node in tree.body:
        target = [getattr(t, "id", None) for t in node.targets] if isinstance(node, ast.Assign) else None
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(ast.get_source_segment(text, node))
        elif isinstance(node, ast.FunctionDef) and node.name in FUNCTIONS:
            defs[node.name] = ast.get_source_segment(text, node)
        elif target in (["BASE"], ["CAUGHT_BY"]):
            continue
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):  # docstring
            raise BadSample(
                f"{path.name}:{node.lineno}: only imports, BASE, CAUGHT_BY and contract functions belong here"
            )
    base = constants(path, "BASE").get("BASE", "solution")
    if base not in ("solution", "release"):
        raise BadSample(f"{path.name}: BASE must be 'solution' or 'release', not {base!r}")
    header = "\n".join(imports) + "\n\n" if imports else ""
    return base, {fn: header + src for fn, src in defs.items()}


def solution_sources(source_nb) -> dict[str, str]:
    """The instructor's solution of each function, markers removed (what a perfect student writes)."""
    return {
        cell.metadata["nbgrader"]["grade_id"]: "\n".join(
            line for line in cell.source.splitlines() if line.strip() not in SOLUTION_MARKERS
        )
        for cell in source_nb.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }


def sample_notebook(path: Path, release_nb, source_nb):
    """The release notebook with the solution cells filled in as the sample says."""
    base, own = parse_sample(path)
    return filled_notebook(release_nb, {} if base == "release" else solution_sources(source_nb), own)


def filled_notebook(release_nb, solutions: dict[str, str], own: dict[str, str]):
    """The release notebook with solution cells replaced: `own` first, else `solutions`, else the stub."""
    fill = {**solutions, **own}
    nb = copy.deepcopy(release_nb)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in fill:
            cell.source = fill[grade_id]
    return nb


def write_submissions(root: Path = ROOT, names: list[str] | None = None) -> list[str]:
    """Write submitted/<name>/lesson2_sgd/lesson2_sgd.ipynb for each sample. -> the names written."""
    release_nb = nbformat.read(root / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    source_nb = nbformat.read(root / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    names = names or sample_names()
    for name in names:
        out = root / "submitted" / name / ASSIGNMENT / NOTEBOOK
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(sample_notebook(SAMPLES_DIR / f"{name}.py", release_nb, source_nb), out)
    return names


def namespace(nb) -> dict:
    """Run a notebook's first code cell (the imports) and its solution cells in a fresh namespace."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    cells = [code[0]] + [c for c in code if c.metadata.get("nbgrader", {}).get("solution")]
    scope = {"__name__": "__main__"}
    for cell in cells:
        exec(
            compile(cell.source, f"<cell {cell.metadata.get('nbgrader', {}).get('grade_id', 'imports')}>", "exec"),
            scope,
        )
    return scope
