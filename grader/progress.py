"""The progress bar of long commands (count, rate, time left) and the line saying where a run's time went."""

import time

from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.text import Text


class RateColumn(ProgressColumn):
    """Items per second, over the last few completions."""

    def render(self, task) -> Text:
        return Text("" if not task.speed else f"{task.speed:.2f}/s")


def progress_bar(show: bool = True) -> Progress:
    """A bar showing done/total, the rate and the estimated time left; it disappears when done."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        disable=not show,
        transient=True,
    )


def where_the_time_went(results, timeline: dict[str, float], end: float | None = None) -> str:
    """One line: start-up by step, the grading's rate, the mean seconds per submission by part, the rest.

    timeline: monotonic times of the run's steps (`start`, `warm`, `ready`, `first`, `last`; any may be missing).
    results: SubmissionResults, whose `timings` hold each submission's seconds by part.
    """
    t, end = timeline, time.monotonic() if end is None else end
    out = []
    if "start" in t and "first" in t:
        steps = []
        if "warm" in t and "begin" in t:
            steps.append(f"imports and course {t['begin'] - t['start']:.1f}")
            steps.append(f"checks warm-up {t['warm'] - t['begin']:.1f}")
        if "ready" in t and "warm" in t:
            steps.append(f"waiting for the sandbox {t['ready'] - t['warm']:.1f}")
        out.append(f"first grade after {t['first'] - t['start']:.1f} s" + (f" ({', '.join(steps)})" if steps else ""))
    if "first" in t and "last" in t and results:
        span = t["last"] - t["start"] if "start" in t else t["last"] - t["first"]
        out.append(f"{len(results)} graded in {span:.1f} s ({len(results) / max(span, 1e-9):.2f}/s)")
    parts: dict[str, float] = {}
    for r in results:
        for part, seconds in r.timings.items():
            parts[part] = parts.get(part, 0.0) + seconds
    if parts:
        out.append("per submission: " + ", ".join(f"{p} {s / len(results):.3f} s" for p, s in parts.items()))
    if "last" in t:
        out.append(f"results files and class summary {end - t['last']:.1f} s")
    return "time: " + "; ".join(out) if out else ""


def autograde_time(timeline: dict[str, float], end: float | None = None) -> str:
    """One line for stock autograde: nbgrader's start-up to its first student, then the rate and seconds each.

    timeline: monotonic times of `start` (the command's step) and `first` (nbgrader began its first student),
    and the number of `students` it began (grader.course.autograde fills the last two).
    """
    end = time.monotonic() if end is None else end
    if "start" not in timeline or "first" not in timeline or not timeline.get("students"):
        return ""
    start, first, graded = timeline["start"], timeline["first"], int(timeline["students"])
    return (
        f"time: first student after {first - start:.1f} s (nbgrader's start-up); {graded} graded in "
        f"{end - start:.1f} s ({graded / max(end - start, 1e-9):.2f}/s), {(end - first) / graded:.2f} s per submission"
    )
