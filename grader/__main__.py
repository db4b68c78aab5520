"""python -m grader {release,samples,grade,autograde,scores,demo,points,similarity}: the course's commands."""

import argparse
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

import grader.fast_start  # noqa: F401  (first of ours: before anything imports nbformat)
from grader import ASSIGNMENT, FUNCTIONS, POINTS, course, inert, points, samples

console = Console(width=max(Console().width, 150))  # the score table is wide


def print_scores(table: dict[str, dict[str, float]], notes: dict[str, str] | None = None) -> bool:
    """Print one row per student; for samples, compare with the expected scores. -> all samples as expected."""
    notes = notes or {}
    grid = Table(title=f"{ASSIGNMENT}: score per function")
    grid.add_column("student", no_wrap=True)
    for fn in FUNCTIONS:
        grid.add_column(f"{fn} /{POINTS[fn]:g}", justify="right")
    grid.add_column(f"total /{sum(POINTS.values()):g}", justify="right")
    grid.add_column("as expected")
    if notes:
        grid.add_column("notes", no_wrap=True)
    known = set(samples.sample_names())
    mismatches = []
    for student, got in table.items():
        verdict = Text("")
        if student in known:
            expected = samples.expected_scores(student)
            verdict = Text("yes", style="green") if got == expected else Text("NO", style="red")
            if got != expected:
                mismatches.append(f"{student}: expected {expected}")
        # student names and notes are student data: Text objects (no markup), control characters stripped
        row = [Text(inert.one_line(student)), *(f"{got[fn]:g}" for fn in FUNCTIONS), f"{sum(got.values()):g}", verdict]
        note = Text(inert.one_line(notes.get(student, "")), style="red")
        grid.add_row(*row, *([note] if notes else []))
    console.print(grid)
    for line in mismatches:
        console.print(Text(inert.one_line(line), style="red"))
    return not mismatches


def sealed_grade(root: Path, jobs: int | None, scheduler: str | None, unconfined: bool = False) -> bool:
    """Grade every submission sealed; print the table, each problem and each suspected tampering."""
    from grader.sealed import cluster
    from grader.sealed.batch import grade_course
    from grader.sealed.cpus import usable_cpus

    jobs = jobs or usable_cpus()
    results = grade_course(root, jobs, scheduler=scheduler, unconfined=unconfined)
    notes = {}
    for r in results:
        manual = [fn for fn, v in r.functions.items() if getattr(v, "manual_reason", None)]
        said = [f"tampering suspected: {', '.join(r.suspected_tampering)}"] if r.suspected_tampering else []
        said += [f"manual grading: {', '.join(manual)}"] if manual else []
        if said:
            notes[r.student] = "; ".join(said)
    ok = print_scores({r.student: {fn: v.points for fn, v in r.functions.items()} for r in results}, notes)
    for r in results:
        for problem in r.problems:
            # one line per problem, whatever the student's text holds (newlines could forge other lines)
            console.print(Text(inert.one_line(f"{r.student}: {problem}", 2000)), soft_wrap=True, highlight=False)
    seconds = sum(r.seconds for r in results)
    console.print(
        f"graded {len(results)} submissions sealed "
        + (f"on the cluster at {scheduler}" if scheduler else f"in {jobs} grading process{'es' * (jobs != 1)}")
        + "; scores in the gradebook, feedback notebooks, "
        f"grades.csv and class_summary.html in autograded/ ({seconds / max(len(results), 1):.2f} s of grading "
        "per submission)"
    )
    from grader.progress import where_the_time_went

    console.print(where_the_time_went(results, cluster.TIMELINE), soft_wrap=True, highlight=False)
    return ok


def compare_submissions(root: Path) -> None:
    """Compare the course's submissions; write similarity.csv and the summary's section; print the flagged pairs."""
    from grader import similarity
    from grader.similarity.report import text

    with console.status("comparing the submissions with each other ..."):
        started = time.monotonic()
        comparison = similarity.run(root)
        csv_path, _ = similarity.write(root, comparison)
    flagged = comparison.flagged()
    if flagged:
        grid = Table(title="similar, worth a look (not a verdict): side by side in class_summary.html")
        for column in ("student", "student", "parts (score)"):
            grid.add_column(column)
        for a, b, parts in flagged[:20]:
            grid.add_row(
                Text(inert.one_line(text(a))),
                Text(inert.one_line(text(b))),
                ", ".join(f"{p.part} {p.score:.2f}" for p in parts),
            )
        console.print(grid)
    console.print(
        f"similarity: {len(flagged)} pairs flagged among {len(comparison.submissions)} submissions; "
        f"{len(comparison.pairs)} row{'' if len(comparison.pairs) == 1 else 's'} (pair and part) in "
        f"{csv_path.relative_to(root)} "
        f"({time.monotonic() - started:.1f} s)",
        soft_wrap=True,
        highlight=False,
    )


def at_least_one(text: str) -> int:
    """--jobs: a whole number of grading processes, 1 or more."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of grading processes (1 or more)")
    return value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader", description=__doc__)
    parser.add_argument(
        "command",
        choices=["release", "samples", "grade", "autograde", "scores", "demo", "points", "similarity"],
        help="release: source/ -> release/; samples: samples/ -> submitted/; grade: sealed, "
        "parallel grading of submitted/ into the gradebook, then similarity; autograde: stock nbgrader "
        "autograde (in the student's kernel); scores: print the gradebook; "
        "demo: release, samples, grade; points: print the points table (markdown); "
        "similarity: compare the submissions with each other (autograded/similarity.csv and the class summary)",
    )
    parser.add_argument("--root", type=Path, default=course.ROOT, help="the course folder (default: this repo)")
    parser.add_argument(
        "--jobs",
        type=at_least_one,
        default=None,
        help="grading processes that `grade` forks on this machine (default: one per CPU it may use: its "
        "affinity and its cgroup's CPU quota, as on a JupyterHub server)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="grade on a Dask cluster (e.g. tcp://10.0.0.5:8786) instead of this machine's processes",
    )
    parser.add_argument(
        "--unconfined",
        action="store_true",
        help="grade WITHOUT the sandbox (only for code you trust; where this machine cannot confine); "
        "recorded in the output, autograded/sealed_results.json and each grade's comment in the gradebook",
    )
    parser.add_argument(
        "--no-similarity",
        action="store_true",
        help="grade and demo: do not compare the submissions with each other at the end",
    )
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.command == "points":
        print(points.markdown_table())
        return 0
    steps = ["release", "samples", "grade"] if args.command == "demo" else [args.command]
    if "grade" in steps and not args.no_similarity:
        steps.append("similarity")
    if "grade" in steps:
        from grader.sealed import cluster

        cluster.starting(root, args.scheduler, args.unconfined)  # the sandbox boots while the grader imports
    from grader.sealed.batch import NotReleased
    from grader.sealed.sandbox import SandboxUnavailable
    from grader.sealed.session import UnknownHiddenTests

    try:
        if "release" in steps:
            with console.status("nbgrader generate_assignment ..."):
                path = course.release(root)
            console.print(f"released {path}")
        if "samples" in steps:
            names = samples.write_submissions(root)
            console.print(f"wrote {len(names)} sample submissions to submitted/")
        if "grade" in steps:
            ok = sealed_grade(root, args.jobs, args.scheduler, args.unconfined)
            if "similarity" in steps:
                try:
                    compare_submissions(root)
                except Exception as err:  # the grades are recorded; a failed comparison must not hide them
                    console.print(
                        Text(f"similarity not compared: {type(err).__name__}: {inert.one_line(err)}", style="red")
                    )
            return 0 if ok else 1
        if "similarity" in steps:
            compare_submissions(root)
        if "autograde" in steps:
            from grader.progress import autograde_time

            timeline = {"start": time.monotonic()}
            ungraded = course.autograde(root, show_progress=True, timeline=timeline)  # ~4 s a submission
            console.print("autograded into autograded/, scores in gradebook.db")
            console.print(autograde_time(timeline), soft_wrap=True, highlight=False)
            for student in ungraded:
                console.print(
                    Text(
                        f"{inert.one_line(student)}: nbgrader could not grade this notebook (not valid JSON, or "
                        "it broke nbgrader): scored 0; the others are graded",
                        style="red",
                    )
                )
        if "scores" in steps:
            return 0 if print_scores(course.scores(root)) else 1
    except (
        course.NbgraderFailed,
        samples.BadSample,
        NotReleased,
        points.PointsMismatch,
        SandboxUnavailable,
        UnknownHiddenTests,
    ) as err:
        console.print(Text(inert.plain(err), style="red"))
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
