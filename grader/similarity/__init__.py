"""Similarity across the course's submissions: pairs whose own code is alike beyond the template and the obvious
answer, per graded function and over the student's own cells; "similar, worth a look", never a verdict.

`python -m grader similarity` (and the end of `grade`) reads every submitted notebook (parsed, never run:
it runs in the grader's own process), fingerprints it (tokens.py, rewrite.py, winnow.py, submission.py),
compares the course (comparison.py) and writes autograded/similarity.csv and the "Similarity" section of
autograded/class_summary.html (report.py). docs/similarity.md explains the method and the thresholds.
"""

import csv
from pathlib import Path

from grader import inert
from grader.similarity.comparison import Comparison, Settings, Template, analyse, compare
from grader.similarity.submission import Submission


def run(root: Path, settings: Settings | None = None) -> Comparison:
    """Compare every submission in root/submitted/ (read as grading reads them: grader/sealed/intake.py)."""
    settings = settings or Settings.load(root)
    analysed, not_read = fingerprint_course(root, settings)
    comparison = compare(analysed, settings)
    comparison.not_read = not_read
    return comparison


def fingerprint_course(root: Path, settings: Settings) -> tuple[list[Submission], dict[str, str]]:
    """Every submitted notebook fingerprinted, and student -> why theirs was not read (none, refused)."""
    from grader.sealed import intake
    from grader.sealed.batch import submissions

    template = Template.load(root, settings)
    analysed, not_read = [], {}
    for student, path in submissions(root).items():
        handed = intake.take(path)
        if handed.data is None:
            not_read[student] = handed.rejected or "no notebook was handed in"
            continue
        analysed.append(analyse(student, handed.data, template, settings))
    return analysed, not_read


def write_csv(path: Path, comparison: Comparison) -> Path:
    """One row per pair and part at or above the reporting floor: student_a, student_b, part, score, flagged."""
    from grader.similarity import report

    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["student_a", "student_b", "part", "score", "flagged"])
        for p in comparison.pairs:
            flagged = "yes" if p.flagged else "no"
            a, b = (inert.csv_cell(report.text(s)) for s in (p.a, p.b))
            out.writerow([a, b, p.part, f"{p.score:.3f}", flagged])
    return path


def write(root: Path, comparison: Comparison) -> tuple[Path, Path]:
    """autograded/similarity.csv, and the Similarity section of autograded/class_summary.html (replaced in place)."""
    from grader import class_summary
    from grader.similarity import report

    folder = root / "autograded"
    folder.mkdir(parents=True, exist_ok=True)
    return write_csv(folder / "similarity.csv", comparison), class_summary.put_similarity(
        folder / "class_summary.html", report.section(comparison)
    )
