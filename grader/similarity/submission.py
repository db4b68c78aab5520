"""One notebook -> its parts, fingerprinted: each graded function (with the helpers it calls) and the student's
own cells as a whole ("notebook"). Cells left as the release gives them are not the student's and are skipped.

The notebook is read as JSON (intake.py has bounded its size and checked it is UTF-8); the work on it is
bounded too: at most MAX_OWN_CHARS of the student's own cells, a cell of over MAX_CELL_CHARS split by a
regular expression instead of parsed, at most MAX_CELL_TOKENS tokens a cell.
"""

import ast
import json
from dataclasses import dataclass, field

import numpy as np

from grader import FUNCTIONS
from grader.similarity import tokens, winnow
from grader.similarity.rewrite import Rewriter

NOTEBOOK = "notebook"  # the part that holds every cell of the student's own
PARTS = (*FUNCTIONS, NOTEBOOK)
MAX_CELLS = 2000  # as intake.MAX_CELLS
MAX_CELL_CHARS = 20_000
MAX_OWN_CHARS = 300_000
MAX_CELL_TOKENS = 20_000
MAX_HELPERS = 8  # helpers followed from one graded function


@dataclass
class Segment:
    """A run of tokens that k-grams do not cross: one cell, or one def."""

    cell: int
    tokens: list[str]
    lines: list[int]
    shown: tuple[int, int]  # the first and last line of the cell that the side-by-side view shows


@dataclass
class Part:
    """One part's fingerprints, each with the cell and lines of the passage it stands for."""

    hashes: np.ndarray  # (m,) uint64 fingerprints
    cells: np.ndarray  # (m,) cell index of each
    first: np.ndarray  # (m,) first line of each fingerprint's passage in its cell
    last: np.ndarray  # (m,) last line
    spans: list[tuple[int, int, int]]  # (cell, first line, last line): what the side-by-side view shows
    counted: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.uint64))  # unique, after discounts


@dataclass
class Submission:
    student: str
    parts: dict[str, Part]
    cells: dict[int, str]  # index -> source of the student's own cells (the side-by-side view)
    notes: list[str] = field(default_factory=list)  # what could not be read as code, for the report


def read_cells(data: bytes) -> list[tuple[int, str, str]]:
    """(index, "code" or "markdown", source) of each cell of a notebook's JSON; [] for anything else."""
    try:
        return cells_of(json.loads(data))
    except (ValueError, RecursionError):
        return []


def cells_of(nb) -> list[tuple[int, str, str]]:
    """read_cells of a notebook already parsed from JSON (any JSON value)."""
    cells = nb.get("cells") if isinstance(nb, dict) else None
    out = []
    for index, cell in enumerate(cells[:MAX_CELLS] if isinstance(cells, list) else []):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown"):
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if isinstance(source, str):
            out.append((index, cell["cell_type"], source))
    return out


def segments(
    cells: list[tuple[int, str, str]], given: tokens.Names, notes: list[str] | None = None
) -> tuple[dict[str, list[Segment]], dict[int, str]]:
    """part -> its segments, and index -> source of the cells read. `given`: what the skipped cells bind."""
    notes = [] if notes is None else notes
    kept, budget = [], MAX_OWN_CHARS
    for index, kind, source in cells:
        if budget <= 0:
            notes.append(f"cells from {index} on not compared (over {MAX_OWN_CHARS} characters of own cells)")
            break
        huge = len(source) > MAX_CELL_CHARS
        if huge:
            notes.append(f"cell {index} compared as text: over {MAX_CELL_CHARS} characters")
        source = source[:MAX_CELL_CHARS]
        budget -= len(source)
        tree = tokens.parse(source) if kind == "code" and not huge else None
        if kind == "code" and tree is None and not huge and source.strip():
            notes.append(f"cell {index} does not parse as Python: compared as text")
        kept.append((index, kind, source, tree))
    names = given
    for _, _, _, tree in kept:
        if tree is not None:
            names = names.merged(tokens.Names().add(tree))
    rewriter = Rewriter(names.loaded, set(FUNCTIONS), lambda s: tokens.key(s, names))
    parts: dict[str, list[Segment]] = {NOTEBOOK: []}
    defs: dict[str, tuple[int, ast.AST]] = {}
    for index, kind, source, tree in kept:
        if tree is not None:
            try:
                tree = rewriter.module(tree)
                toks, lines = tokens.code(tree, names, MAX_CELL_TOKENS)
            except tokens.PARSE_ERRORS:
                tree = None
        if kind == "markdown":
            toks, lines = tokens.prose(source, MAX_CELL_TOKENS)
        elif tree is None:
            toks, lines = tokens.lexed(source, names, MAX_CELL_TOKENS)
        else:
            defs.update((n.name, (index, n)) for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef))
        parts[NOTEBOOK].append(Segment(index, toks, lines, (1, source.count("\n") + 1)))
    for fn in FUNCTIONS:
        if fn in defs:
            parts[fn] = [
                Segment(cell, *tokens.code(node, names, MAX_CELL_TOKENS), _lines_of(node))
                for cell, node in _with_helpers(fn, defs)
            ]
    return parts, {index: source for index, _, source, _ in kept}


def _lines_of(node: ast.AST) -> tuple[int, int]:
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
    return first, node.end_lineno or node.lineno


def _with_helpers(fn: str, defs: dict[str, tuple[int, ast.AST]]) -> list[tuple[int, ast.AST]]:
    """fn's def, then the defs of the helpers it calls (transitively), in the order they are first met."""
    order, todo = [fn], [fn]
    while todo and len(order) <= MAX_HELPERS:
        for node in ast.walk(defs[todo.pop(0)][1]):
            name = node.id if isinstance(node, ast.Name) else None
            if name in defs and name not in order and name not in FUNCTIONS and len(order) <= MAX_HELPERS:
                order.append(name)
                todo.append(name)
    return [defs[name] for name in order]


def fingerprinted(parts: dict[str, list[Segment]], k: int, w: int) -> dict[str, Part]:
    """Winnow each part's segments (k-grams of k tokens, windows of w) into its fingerprints."""
    out = {}
    for name, segs in parts.items():
        hashes, cells, first, last = [], [], [], []
        for seg in segs:
            h = winnow.kgram_hashes(winnow.token_ids(seg.tokens), k)
            at = winnow.winnow(h, w)
            if not len(at):
                continue
            spans = np.lib.stride_tricks.sliding_window_view(np.array(seg.lines), k)[at]
            hashes.append(h[at])
            cells.append(np.full(len(at), seg.cell))
            first.append(spans.min(axis=1))
            last.append(spans.max(axis=1))
        columns = (_joined(a, t) for a, t in ((hashes, np.uint64), (cells, int), (first, int), (last, int)))
        out[name] = Part(*columns, [(s.cell, *s.shown) for s in segs])
    return out


def _joined(arrays: list, dtype) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.empty(0, dtype=dtype)


def all_kgrams(parts: dict[str, list[Segment]], k: int) -> np.ndarray:
    """Every k-gram hash of every segment (what the template discounts, not only its fingerprints)."""
    found = [winnow.kgram_hashes(winnow.token_ids(s.tokens), k) for segs in parts.values() for s in segs]
    return np.unique(_joined(found, np.uint64))
