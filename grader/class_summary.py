"""The class summary of a grading run: grades.csv and class_summary.html with matplotlib figures (both generated)."""

import base64
import csv
import html
import io
import statistics
from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from grader import ASSIGNMENT, FUNCTIONS, POINTS, inert

# One colour per figure: the report's test finds each figure in a browser screenshot by its colour.
COLOURS = {"scores": "#1f77b4", "checks": "#2ca02c", "mistakes": "#d62728", "runtime": "#9467bd"}
MAX_TOTAL = sum(POINTS.values())
# The Similarity section sits between these two comments; `python -m grader similarity` replaces it in place
# (grader/similarity/); until then the page says it was not compared.
SIMILARITY_BEGIN, SIMILARITY_END = "<!-- similarity: begin -->", "<!-- similarity: end -->"
NOT_COMPARED = (
    '<section id="similarity"><h2>Similarity 相似度</h2><p>Not compared in this run: '
    "<code>python -m grader similarity</code> compares the submissions and fills in this section "
    "(<code>grade</code> does, at its end, unless given <code>--no-similarity</code>). "
    "本次未比较相似度:运行 <code>python -m grader similarity</code> 填写本节。</p></section>"
)


def write(folder: Path, results) -> tuple[Path, Path]:
    """autograded/grades.csv and autograded/class_summary.html for `results` (sealed SubmissionResults)."""
    folder.mkdir(parents=True, exist_ok=True)
    return write_csv(folder / "grades.csv", results), write_html(folder / "class_summary.html", results)


def write_csv(path: Path, results) -> Path:
    """One row per student, one column per function, then score and max_score (nbgrader export's names)."""
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["assignment", "student_id", *FUNCTIONS, "score", "max_score"])
        for r in sorted(results, key=lambda r: r.student):
            points = (f"{r.functions[fn].points:g}" for fn in FUNCTIONS)
            # the student id is student data: a leading =, +, -, @ would make it a live spreadsheet formula
            out.writerow([ASSIGNMENT, inert.csv_cell(r.student), *points, f"{r.total:g}", f"{MAX_TOTAL:g}"])
    return path


def check_pass_rates(results) -> dict[str, float]:
    """check -> the share of submissions where it ran and passed, among those where it ran."""
    ran, passed = Counter(), Counter()
    for r in results:
        for verdict in r.functions.values():
            for check, outcome in verdict.checks.items():
                ran[check] += outcome != "skipped"
                passed[check] += outcome == "passed"
    return {check: passed[check] / ran[check] for check in ran if ran[check]}


def common_mistakes(results, top: int = 10) -> list[tuple[str, int]]:
    """The most frequent failure messages (English), with how many submissions got each."""
    per_submission = ({m for v in r.functions.values() for m in v.mistakes.values()} for r in results)
    return Counter(m for mistakes in per_submission for m in mistakes).most_common(top)


def png(fig) -> str:
    """A matplotlib figure as base64 PNG (the figure is closed)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _barh(labels, values, colour, xlabel, xlim=None):
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(labels) + 1.2), layout="constrained")
    ax.barh(range(len(labels)), values, color=colour)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    if xlim:
        ax.set_xlim(*xlim)
    return fig


def figures(results) -> dict[str, tuple[str, str]]:
    """name -> (title, base64 PNG) for the score histogram, check pass rates, common mistakes and runtimes.

    Labels come from student data (failure messages quote their exceptions): no mathtext, no control codes.
    """
    with plt.rc_context({"text.parse_math": False, "text.usetex": False}):
        return _figures(results)


def _figures(results) -> dict[str, tuple[str, str]]:
    fig, ax = plt.subplots(figsize=(9, 3.5), layout="constrained")
    ax.hist([r.total for r in results], bins=[x / 2 for x in range(0, 2 * int(MAX_TOTAL) + 2)], color=COLOURS["scores"])
    ax.set_xlabel(f"total score (of {MAX_TOTAL:g})")
    ax.set_ylabel("submissions")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    out = {"scores": ("Score histogram", png(fig))}

    rates = check_pass_rates(results)
    out["checks"] = (
        "Pass rate of every hidden check",
        png(
            _barh(
                [c.removeprefix("test_") for c in rates],
                [100 * v for v in rates.values()],
                COLOURS["checks"],
                "% of submissions passing",
                (0, 100),
            )
        ),
    )

    mistakes = common_mistakes(results) or [("(no failed check)", 0)]
    out["mistakes"] = (
        "Most common mistakes",
        png(
            _barh(
                [inert.one_line(m, 90) for m, _ in mistakes],
                [n for _, n in mistakes],
                COLOURS["mistakes"],
                "submissions",
            )
        ),
    )

    fig, ax = plt.subplots(figsize=(9, 3.5), layout="constrained")
    ax.hist([r.seconds for r in results], bins=20, color=COLOURS["runtime"])
    ax.set_xlabel("seconds of grading per submission")
    ax.set_ylabel("submissions")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    out["runtime"] = ("Runtime per submission", png(fig))
    return out


def write_html(path: Path, results) -> Path:
    """A self-contained page: the figures (inline PNG) and one row per student."""
    totals = [r.total for r in results]
    stats = (
        f"{len(results)} submissions; mean {statistics.fmean(totals):.2f}, median "
        f"{statistics.median(totals):g} of {MAX_TOTAL:g}"
        if results
        else "no submissions"
    )
    figs = "\n".join(
        f'<figure id="{name}"><figcaption>{title}</figcaption>'
        f'<img alt="{title}" src="data:image/png;base64,{image}"></figure>'
        for name, (title, image) in figures(results).items()
    )
    head = "".join(
        f"<th>{h}</th>"
        for h in [
            "student",
            *(f"{fn} /{POINTS[fn]:g}" for fn in FUNCTIONS),
            f"total /{MAX_TOTAL:g}",
            "seconds",
            "problems",
        ]
    )
    rows = "\n".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(c))}</td>"
            for c in [
                r.student,
                *(f"{r.functions[fn].points:g}" for fn in FUNCTIONS),
                f"{r.total:g}",
                f"{r.seconds:.2f}",
                inert.plain(
                    "; ".join(
                        r.problems
                        + [f"tampering suspected: {fn}" for fn in r.suspected_tampering]
                        + [
                            f"manual grading of {fn}: {v.manual_reason}"
                            for fn, v in r.functions.items()
                            if getattr(v, "manual_reason", None)
                        ]
                    )
                ),
            ]
        )
        + "</tr>"
        for r in results
    )
    path.write_text(f"""<!DOCTYPE html>
<!-- generated by `python -m grader grade`; rewritten on every run -->
<html lang="en"><head><meta charset="utf-8"><title>{ASSIGNMENT}: class summary</title>
<style>body{{font-family:sans-serif;margin:2em}} figure{{margin:1em 0}} figcaption{{font-weight:bold}}
img{{max-width:100%}} table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:2px 6px}}</style>
</head><body>
<h1>{ASSIGNMENT}: class summary</h1>
<p>{stats}</p>
{figs}
<h2>Students</h2>
<table><tr>{head}</tr>
{rows}
</table>
{SIMILARITY_BEGIN}
{NOT_COMPARED}
{SIMILARITY_END}
</body></html>
""")
    return path


def put_similarity(path: Path, section: str) -> Path:
    """class_summary.html with its Similarity section replaced by `section` (a page of its own if there is none).

    Student text in `section` is escaped, so the two marker comments occur once, as this module wrote them.
    """
    block = f"{SIMILARITY_BEGIN}\n{section}\n{SIMILARITY_END}"
    page = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    if SIMILARITY_BEGIN in page and SIMILARITY_END in page:
        before, _, rest = page.partition(SIMILARITY_BEGIN)
        _, _, after = rest.partition(SIMILARITY_END)
        page = before + block + after
    elif "</body>" in page:
        page = page.replace("</body>", block + "\n</body>", 1)
    else:
        page = (
            f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{ASSIGNMENT}: similarity</title>'
            f"<style>body{{font-family:sans-serif;margin:2em}}</style></head><body>\n{block}\n</body></html>\n"
        )
    path.write_text(page, encoding="utf-8", errors="replace")  # a folder name may hold undecodable bytes
    return path
