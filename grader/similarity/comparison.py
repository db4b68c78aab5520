"""Submissions compared with each other, part by part, after discounting what is not evidence.

Not evidence: every k-gram of the release notebook and of the instructor's solutions (the template, the
given code and text, the obvious answer), and any fingerprint that more than `cutoff` submissions share
(MOSS's "ignore a passage seen in more than N submissions"). What remains is indexed by fingerprint, so
only pairs that share one are ever looked at (no comparison of every pair); a fingerprint pairs at most
`cutoff` submissions, so the work grows with the size of the course, not with its square.
A pair's score in a part is the Dice coefficient of their remaining fingerprints, 2|A∩B| / (|A| + |B|), with
the denominator at least 2 * small_part: a few short lines in common (an mse of one line) never score high.
"""

import itertools
import json
import math
from collections import Counter
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
from traitlets.config.loader import PyFileConfigLoader

from grader import ASSIGNMENT
from grader.course import NOTEBOOK
from grader.similarity import tokens
from grader.similarity.submission import PARTS, Submission, all_kgrams, cells_of, fingerprinted, read_cells, segments

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
COMMON_KEPT = 100  # common fingerprints kept per part for the report's examples (the most common)


@dataclass(frozen=True)
class Settings:
    """The thresholds, from `c.Similarity` in nbgrader_config.py (these are the defaults)."""

    flag_score: float = 0.6  # a pair whose part scores this much is flagged: similar, worth a look
    report_floor: float = 0.25  # a pair and part scoring less is not listed at all
    small_part: int = 10  # a part with fewer fingerprints is scored as if it had this many: too little to tell
    common_share: float = 0.1  # a fingerprint in more than this share of the submissions is the obvious answer ...
    common_at_least: int = 3  # ... if in more than this many too (a small course) ...
    common_at_most: int = 10  # ... and always if in more than this many (a large course; MOSS's -m; bounds work)
    kgram: int = 10  # tokens hashed together (shorter shared runs are not found)
    window: int = 5  # winnowing window: any shared run of kgram + window - 1 tokens is found

    @classmethod
    def load(cls, root: Path) -> "Settings":
        section = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config().Similarity
        return cls(**{f.name: type(f.default)(section[f.name]) for f in fields(cls) if f.name in section})

    def cutoff(self, submissions: int) -> int:
        """A fingerprint found in more submissions than this is discounted as common."""
        return max(self.common_at_least, min(self.common_at_most, math.ceil(self.common_share * submissions)))


@dataclass
class Template:
    """What no student wrote: the release notebook and the instructor's solutions."""

    skip: frozenset[str]  # cell sources (stripped) left as given: not the student's, not read
    names: tokens.Names  # what the release's own code binds and imports
    kgrams: np.ndarray  # sorted unique hashes of every k-gram in the release and the solutions

    @classmethod
    def load(cls, root: Path, settings: Settings) -> "Template":
        release = json.loads((root / "release" / ASSIGNMENT / NOTEBOOK).read_bytes())
        source = json.loads((root / "source" / ASSIGNMENT / NOTEBOOK).read_bytes())
        solutions = {
            _grade_id(c): "\n".join(ln for ln in _text(c).splitlines() if ln.strip() not in SOLUTION_MARKERS)
            for c in source["cells"]
            if c.get("metadata", {}).get("nbgrader", {}).get("solution")
        }
        given = cells_of(release)
        ids = [_grade_id(c) for c in release["cells"]]
        instructor = [(i, kind, solutions.get(ids[i], text)) for i, kind, text in given]
        names = tokens.Names()
        for _, kind, text in [*given, *instructor]:
            tree = tokens.parse(text) if kind == "code" else None
            if tree is not None:
                names.add(tree)
        kgrams = [all_kgrams(segments(cells, names)[0], settings.kgram) for cells in (given, instructor)]
        skip = frozenset(text.strip() for _, _, text in [*given, *instructor])
        return cls(skip, names, np.union1d(*kgrams))


def _grade_id(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def analyse(student: str, data: bytes, template: Template, settings: Settings) -> Submission:
    """A submitted notebook's bytes -> its parts, fingerprinted, without the template's k-grams."""
    notes: list[str] = []
    cells = [(i, kind, text) for i, kind, text in read_cells(data) if text.strip() not in template.skip]
    parts, sources = segments(cells, template.names, notes)
    fingerprints = fingerprinted(parts, settings.kgram, settings.window)
    for part in fingerprints.values():
        own = np.unique(part.hashes)
        if len(template.kgrams):  # sorted: a binary search per fingerprint
            at = np.minimum(np.searchsorted(template.kgrams, own), len(template.kgrams) - 1)
            own = own[template.kgrams[at] != own]
        part.counted = own
    return Submission(student, fingerprints, sources, notes)


@dataclass
class Pair:
    """Two students' similarity in one part (a function's name, or "notebook")."""

    a: str
    b: str
    part: str
    score: float  # 0..1
    shared: int  # fingerprints in common, after discounts
    flagged: bool


@dataclass
class Comparison:
    """The course compared: every pair and part at or above the reporting floor, best first."""

    settings: Settings
    submissions: dict[str, Submission]
    pairs: list[Pair]
    cutoff: int  # a fingerprint in more submissions than this was discounted as common
    common: dict[str, list[tuple[np.uint64, int]]]  # part -> (fingerprint, submissions that have it), most first
    discounted: dict[str, int]  # part -> fingerprints discounted as common
    not_read: dict[str, str] = field(default_factory=dict)  # student -> why their notebook was not compared

    def flagged(self) -> list[tuple[str, str, list[Pair]]]:
        """(a, b, the flagged parts, best first) for each flagged pair; the pairs ranked by their best part."""
        by_pair: dict[tuple[str, str], list[Pair]] = {}
        for p in self.pairs:
            if p.flagged:
                by_pair.setdefault((p.a, p.b), []).append(p)
        ranked = sorted(by_pair.items(), key=lambda kv: (-kv[1][0].score, -sum(p.shared for p in kv[1]), kv[0]))
        return [(a, b, parts) for (a, b), parts in ranked]


def compare(submissions: list[Submission], settings: Settings) -> Comparison:
    """Discount the common fingerprints, then score every pair that shares any of the rest."""
    cutoff = settings.cutoff(len(submissions))
    pairs, common, discounted = [], {}, {}
    for part in PARTS:
        having = [(i, s.parts[part]) for i, s in enumerate(submissions) if part in s.parts]
        if not having:
            continue
        hashes = np.concatenate([p.counted for _, p in having])
        owners = np.repeat([i for i, _ in having], [len(p.counted) for _, p in having])
        values, inverse, counts = np.unique(hashes, return_inverse=True, return_counts=True)
        frequent = counts > cutoff
        order = np.argsort(-counts[frequent], kind="stable")[:COMMON_KEPT]
        common[part] = list(zip(values[frequent][order], counts[frequent][order].tolist(), strict=True))
        discounted[part] = int(frequent.sum())
        keep = ~frequent[inverse]
        hashes, owners = hashes[keep], owners[keep]
        for i, p in having:  # owners ascend: each submission's fingerprints lie together
            lo, hi = np.searchsorted(owners, [i, i + 1])
            p.counted = hashes[lo:hi]
        sizes = np.bincount(owners, minlength=len(submissions))
        for (i, j), shared in _shared_counts(hashes, owners).items():
            score = round(2 * shared / max(int(sizes[i] + sizes[j]), 2 * settings.small_part), 3)
            if score >= settings.report_floor:
                first, second = sorted((submissions[i].student, submissions[j].student))
                pairs.append(Pair(first, second, part, score, shared, score >= settings.flag_score))
    pairs.sort(key=lambda p: (-p.score, -p.shared, p.a, p.b, p.part))
    return Comparison(settings, {s.student: s for s in submissions}, pairs, cutoff, common, discounted)


def _shared_counts(hashes: np.ndarray, owners: np.ndarray) -> Counter:
    """(i, j) -> fingerprints i and j have in common, for every pair with one at least (an inverted index).

    `hashes[n]` is a fingerprint of submission `owners[n]` (each fingerprint once per submission)."""
    order = np.argsort(hashes, kind="stable")
    hashes, owners = hashes[order], owners[order]
    starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]])
    sizes = np.diff(np.r_[starts, len(hashes)])
    counts: Counter = Counter()
    for start, size in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist(), strict=True):
        counts.update(itertools.combinations(owners[start : start + size].tolist(), 2))
    return counts


def shared_lines(comparison: Comparison, a: str, b: str, part: str) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """cell -> lines of the passages a and b share in `part` (counted fingerprints only), for a and for b."""
    pa, pb = comparison.submissions[a].parts[part], comparison.submissions[b].parts[part]
    both = np.intersect1d(pa.counted, pb.counted)
    return _lines(pa, both), _lines(pb, both)


def _lines(part, hashes: np.ndarray) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    hit = np.isin(part.hashes, hashes)
    for cell, first, last in zip(
        part.cells[hit].tolist(), part.first[hit].tolist(), part.last[hit].tolist(), strict=True
    ):
        out.setdefault(cell, set()).update(range(first, last + 1))
    return out


def example(comparison: Comparison, part: str, fingerprint) -> str:
    """The source lines behind a common fingerprint, as one submission wrote them ('' if none is at hand)."""
    for sub in comparison.submissions.values():
        p = sub.parts.get(part)
        if p is None:
            continue
        hit = np.flatnonzero(p.hashes == fingerprint)
        if len(hit):
            i = hit[0]
            lines = sub.cells.get(int(p.cells[i]), "").splitlines()
            return "\n".join(lines[int(p.first[i]) - 1 : int(p.last[i])])
    return ""
