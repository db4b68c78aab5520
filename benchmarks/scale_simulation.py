"""A simulated run of N submissions (default 10,000): is time per submission flat in N, the grader's memory bounded?

    .venv/bin/python benchmarks/scale_simulation.py --n 10000
    .venv/bin/python benchmarks/scale_simulation.py --n 200 --real   # grade the notebooks for real (slow)
    .venv/bin/python benchmarks/scale_simulation.py --n 200 --jobs 2 4 8 16 --sleep   # results/s per processes

Sealed grading costs about 1.5 s of CPU per submission in the grading processes, so 10,000 real gradings
take hours; what can grow with N is elsewhere: the main process's path. This script runs that path as
`python -m grader grade` does (`batch.grade_course`: the local pool forking its grading processes, each
result recorded by nbgrader's own Autograde converter into the SQLite gradebook and autograded/,
sealed_results.json, grades.csv and class_summary.html), on a temporary course of N cheap submissions
(copies of a few sample notebooks, written as bytes). Only `session.grade_submission`, as the local pool
calls it in its grading processes, is replaced: by a replay of real sealed grades, one per distinct
notebook, made once before the run with the sandbox, so every result has a real result's size (the cell
outputs with their PNGs, the verdicts, messages and checks) and crosses the pipe as a real one does.
`--real` leaves grade_submission alone and grades every notebook for real.

Prints, per slice of the run (N/10 submissions by default), the wall seconds per submission in that slice
(from the first result's arrival; start-up is reported apart), the main process's CPU seconds per
submission, the median time of one submission's recording (batch's "gradebook write": nbgrader's
converter, in the grading process that graded it; a median shrugs off bursts of the machine's other
load), the main process's VmRSS and VmHWM and the grading processes' peak (VmHWM) from /proc; then the
time and peak memory of the results files and the class summary, whether time per submission is flat
(the median recording, last slice against the first), how much the main process grew per submission
(over the run and over its second half) against what the report's verdicts take, and how many
submissions the gradebook holds.

Several --jobs values grade a fresh copy of the course once each (the slices are not printed then) and print
results per second against the number of grading processes, with what each recording cost where it ran
(its CPU, the first in a process apart; the seconds it held SQLite's one write lock and waited for it,
timed by SQLAlchemy's events), the main process's CPU per submission and the machine's busy share; then
the rate each of them allows (the cores: cores / the recording's and the main process's CPU per
submission; the main process: 1 / its CPU; SQLite: 1 / the lock held per recording) and how much of each
the largest run used. --sleep makes the replay wait as long as the real grading of its notebook took (or
SECONDS) before it answers, holding no CPU, as if each grading process had a core of its own: what is
left to share the cores is the recording and the main process's path.
"""

import argparse
import dataclasses
import hashlib
import os
import pickle
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

from grader import ASSIGNMENT, POINTS, course, samples
from grader.course import NOTEBOOK
from grader.sealed.cpus import usable_cpus

if TYPE_CHECKING:
    from grader.sealed.session import SubmissionResult

VARIANTS = ("pass_reference", "fail_update_wrong_sign", "blank_release")  # a full mark, a failed check, nothing
FLAT = 1.25  # time per submission is flat if the last slice's median recording is at most this times the first's
# KiB of the main process per submission, past which it keeps more than the report's verdicts: the
# verdicts, problems and timings it keeps per result for sealed_results.json, the class summary and the
# score table take about 8 KiB (about 16 KiB of VmRSS with the allocator's overhead, measured over 10,000);
# a result's cell outputs, if kept, take about 200 KiB.
KEPT = 32
MIB = 1024  # /proc reports KiB


def make_course(n: int, root: Path | None = None) -> Path:
    """A released course with N submissions s<i>_<variant>, each a copy of one of VARIANTS' notebooks."""
    root = Path(tempfile.mkdtemp(prefix=f"scale-{n}-")) if root is None else root
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(course.ROOT / "source", root / "source")
    shutil.copy(course.ROOT / "nbgrader_config.py", root)
    course.release(root)
    release_nb = nbformat.read(root / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    source_nb = nbformat.read(root / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    notebooks = [
        nbformat.writes(samples.sample_notebook(samples.SAMPLES_DIR / f"{name}.py", release_nb, source_nb)).encode()
        for name in VARIANTS
    ]
    width = max(5, len(str(n - 1)))
    for i in range(n):
        path = submitted(root, f"s{i:0{width}d}_{VARIANTS[i % len(VARIANTS)]}")
        path.parent.mkdir(parents=True)
        path.write_bytes(notebooks[i % len(VARIANTS)])
    return root


def submitted(root: Path, student: str) -> Path:
    return root / "submitted" / student / ASSIGNMENT / NOTEBOOK


# The stand-in's real results, by the digest of the notebook they graded; set before the pool forks.
_REPLAY: dict[bytes, "SubmissionResult"] = {}
_REAL_SECONDS: dict[bytes, float] = {}  # the wall seconds each real grade took
_SLEEP: dict[bytes, float] = {}  # what the replay sleeps per notebook (--sleep), as the grading would take


def real_grades(root: Path, unconfined: bool) -> dict[str, "SubmissionResult"]:
    """One real sealed grade of each variant (its own zygote, closed after): what the stand-in replays."""
    from grader.sealed.cluster import warm_up
    from grader.sealed.session import Assignment, grade_submission
    from grader.sealed.spawn import Zygote

    assignment = Assignment.load(root)
    zygote = Zygote(assignment.limits, unconfined=unconfined)
    try:
        warm_up()
        zygote.wait_ready()
        graded = {}
        for name in VARIANTS:
            student = next(p.name for p in sorted((root / "submitted").iterdir()) if p.name.endswith(f"_{name}"))
            path = submitted(root, student)
            started = time.monotonic()
            graded[name] = grade_submission(name, path, assignment, zygote)
            digest = hashlib.sha256(path.read_bytes()).digest()
            _REPLAY[digest], _REAL_SECONDS[digest] = graded[name], time.monotonic() - started
    finally:
        zygote.close()
    reference = graded["pass_reference"]
    if reference.problems or reference.total != sum(POINTS.values()):  # else the replay would not be a real grade
        raise RuntimeError(f"the reference sample was not graded as it should be: {reference.problems}")
    return graded


def replay(student, path, assignment, zygote):
    """In place of session.grade_submission in a grading process: the real result of the same notebook."""
    digest = hashlib.sha256(Path(path).read_bytes()).digest()
    if digest in _SLEEP:
        time.sleep(_SLEEP[digest])  # the grading's time, holding no CPU: as if on a core of its own
    return dataclasses.replace(_REPLAY[digest], student=student)  # pickled whole to the main process, as a real one


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


def _machine() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores (/proc/stat: idle and iowait not busy)."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    total = sum(ticks) / os.sysconf("SC_CLK_TCK")
    return total - (ticks[3] + ticks[4]) / os.sysconf("SC_CLK_TCK"), total


# what timed_recording adds to each result's timings
RECORDING_TIMINGS = ("recording CPU", "gradebook lock held", "gradebook lock wait", "recording in its process")
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def timed_recording(batch):
    """Time each result's recording where it runs (the grading processes inherit this): its CPU seconds, the
    seconds it held SQLite's one write lock (each transaction from its first write statement's end to its commit
    or rollback: no other process can write meanwhile) and the seconds its first write statements took (where
    SQLite waits for the lock another process holds), and which of its process's recordings it was (1: the first),
    into the result's timings. -> a function that undoes it.
    """
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    record, spent, since = batch.Recorder.__call__, [0.0, 0.0], [None, None]  # held, waited; write began, ended
    done = [0]  # this process's recordings: a forked grading process starts with its parent's 0

    def before(conn, cursor, statement, *args):
        if since[0] is None and statement.lstrip()[:7].upper().startswith(WRITES):
            since[0] = time.monotonic()

    def after(conn, cursor, statement, *args):
        if since[0] is not None and since[1] is None:
            since[1] = time.monotonic()
            spent[1] += since[1] - since[0]

    def ended(session, *args):
        if since[1] is not None:
            spent[0] += time.monotonic() - since[1]
        since[:] = [None, None]

    def timed_record(self, result):
        spent[:], since[:], cpu = [0.0, 0.0], [None, None], time.process_time()
        result = record(self, result)
        done[0] += 1
        figures = (time.process_time() - cpu, *spent, float(done[0]))
        result.timings.update(zip(RECORDING_TIMINGS, figures, strict=True))
        return result

    listeners = [(Engine, "before_cursor_execute", before), (Engine, "after_cursor_execute", after)]
    listeners += [(Session, "after_commit", ended), (Session, "after_rollback", ended)]
    for target, name, fn in listeners:
        event.listen(target, name, fn)
    batch.Recorder.__call__ = timed_record

    def undo():
        batch.Recorder.__call__ = record
        for target, name, fn in listeners:
            event.remove(target, name, fn)

    return undo


def _status(pid: int | str = "self") -> dict[str, int]:
    """VmRSS and VmHWM (KiB) of a process, {} if it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return {k: int(v) for k, v in re.findall(r"^(VmRSS|VmHWM):\s+(\d+)", text, re.M)}


def grading_processes() -> list[int]:
    """This process's forks that run this process's command line: the local pool's grading processes."""
    me, mine = os.getpid(), Path("/proc/self/cmdline").read_bytes()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == me and Path(f"/proc/{entry}/cmdline").read_bytes() == mine:
                found.append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return found


@dataclasses.dataclass
class Slice:
    first: int  # 1-based numbers of its submissions, in the order they were recorded
    last: int
    seconds: float
    cpu: float  # CPU seconds (user and system) of the main process in the slice
    recording: float  # median seconds of batch's "gradebook write" (nbgrader's converter) in the slice
    rss: int  # KiB of the main process at the slice's end
    hwm: int
    grading_hwm: int  # the grading processes' largest VmHWM so far

    @property
    def per_submission(self) -> float:
        return self.seconds / (self.last - self.first + 1)

    @property
    def cpu_per_submission(self) -> float:
        return self.cpu / (self.last - self.first + 1)

    HEADER = (
        f"{'submissions':>13} | {'s/submission':>12} | {'main CPU s':>10} | {'recording median':>16} | "
        f"{'main VmRSS MiB':>14} | {'main VmHWM MiB':>14} | {'grading VmHWM MiB':>17}"
    )

    def row(self) -> str:
        return (
            f"{f'{self.first}-{self.last}':>13} | {self.per_submission:>12.3f} | {self.cpu_per_submission:>10.3f} | "
            f"{self.recording:>16.3f} | "
            f"{self.rss / MIB:>14.0f} | {self.hwm / MIB:>14.0f} | {self.grading_hwm / MIB:>17.0f}"
        )


class Meter:
    """Wraps cluster.graded as batch calls it: times and samples memory at every slice's end.

    The code after each `yield` runs when batch asks for the next result, that is once the one yielded has
    been recorded (gradebook, autograded/): a slice's time is everything the main process does for it.
    """

    def __init__(self, graded, slice_size: int, quiet: bool = False):
        self.graded, self.size, self.quiet = graded, slice_size, quiet
        self.slices: list[Slice] = []
        self.first = self.last = 0.0
        self.grading_hwm = 0
        self.recorded: list[tuple[float, ...]] = []  # per result: recording's wall, then RECORDING_TIMINGS
        self.busy = (0.0, 0.0)  # the machine's busy and total CPU seconds (all cores), first result to last

    def __call__(self, todo, *args, **kwargs):
        n, done, start, cpu, writes, machine = len(todo), 0, 0.0, 0.0, [], (0.0, 0.0)
        for result in self.graded(todo, *args, **kwargs):
            if not done:
                self.first = start = time.monotonic()
                cpu, machine = _cpu(), _machine()
            yield result
            done += 1
            writes.append(result.timings.get("gradebook write", 0.0))
            self.recorded.append(tuple(result.timings.get(k, 0.0) for k in ("gradebook write", *RECORDING_TIMINGS)))
            if done % self.size == 0 or done == n:
                now, cpu_now = time.monotonic(), _cpu()
                self._grading_peak()
                first = self.slices[-1].last + 1 if self.slices else 1
                mem = _status()
                self.slices.append(
                    Slice(
                        first,
                        done,
                        now - start,
                        cpu_now - cpu,
                        statistics.median(writes),
                        mem["VmRSS"],
                        mem["VmHWM"],
                        self.grading_hwm,
                    )
                )
                if not self.quiet:
                    print(self.slices[-1].row(), flush=True)
                start, cpu, writes = now, cpu_now, []
        self.last = time.monotonic()
        end = _machine()
        self.busy = (end[0] - machine[0], end[1] - machine[1])

    def _grading_peak(self):
        for pid in grading_processes():
            self.grading_hwm = max(self.grading_hwm, _status(pid).get("VmHWM", 0))


def gradebook_count(root: Path) -> int:
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url(root)) as gb:
        return len(gb.assignment_submissions(ASSIGNMENT))


def verdicts(slices: list[Slice]) -> list[str]:
    """Is time per submission flat (last full slice against the first)? Does the main process keep more per
    submission than the report's verdicts (KEPT)? Memory is judged over the run's second half, once the
    caches that fill with the first results (SQLAlchemy's, the allocator's) are warm.
    """
    full = [s for s in slices if s.last - s.first == slices[0].last - slices[0].first] or slices
    first, last = full[0], full[-1]
    wall = last.per_submission / first.per_submission if first.per_submission else float("nan")
    cpu = last.cpu_per_submission / first.cpu_per_submission if first.cpu_per_submission else float("nan")
    ratio = last.recording / first.recording if first.recording else float("nan")
    lines = [
        f"time per submission: recording one (median) {first.recording:.3f} s in the first slice, "
        f"{last.recording:.3f} in the last: last/first {ratio:.2f}: {'flat' if ratio <= FLAT else 'GROWS'} "
        f"(flat: <= {FLAT}); with the machine's other load, wall {first.per_submission:.3f} s and "
        f"{last.per_submission:.3f} (x{wall:.2f}), the main process's CPU {first.cpu_per_submission:.3f} s and "
        f"{last.cpu_per_submission:.3f} (x{cpu:.2f})"
    ]
    end = slices[-1]
    middle = slices[(len(slices) - 1) // 2]
    if end.last > middle.last:
        overall = (end.rss - first.rss) / max(1, end.last - first.last)
        growth = (end.rss - middle.rss) / (end.last - middle.last)
        kept = "only the verdicts kept for the report" if growth <= KEPT else "MORE than the report's verdicts"
        lines.append(
            f"main process VmRSS: {first.rss / MIB:.0f} MiB after {first.last} submissions, {middle.rss / MIB:.0f} "
            f"after {middle.last}, {end.rss / MIB:.0f} after {end.last}: {overall:+.1f} KiB per submission over "
            f"the run, {growth:+.1f} over its second half: {kept} (<= {KEPT} KiB a submission; cell outputs kept "
            "would add about 200)"
        )
    return lines


@dataclasses.dataclass
class Run:
    """One grading of the course at one number of grading processes."""

    jobs: int
    n: int
    seconds: float  # the whole grade_course
    grading: float  # from the pool's start (the zygote ready) to the last result
    main_cpu: float  # the main process's CPU seconds, first result to last
    recording: float  # median wall seconds of one recording (batch's "gradebook write"), in a grading process
    recording_cpu: float  # mean CPU seconds of one recording, in a grading process
    first_cpu: float  # mean CPU seconds of a grading process's first recording (nan: none)
    later_cpu: float  # mean CPU seconds of its later ones (nan: none)
    held: float  # mean seconds one recording held SQLite's write lock
    waited: float  # mean seconds one recording's first writes took (waiting for the lock, mostly)
    busy: float  # the machine's busy share, all cores and processes, first result to last
    ok: bool

    @property
    def rate(self) -> float:
        return self.n / self.grading if self.grading else float("nan")

    HEADER = (
        f"{'processes':>9} | {'results/s':>9} | {'main CPU s/sub':>14} | {'recording CPU s':>15} | "
        f"{'first/later':>11} | "
        f"{'recording wall s':>16} | {'lock held s':>11} | {'lock wait s':>11} | {'machine busy':>12} | "
        f"{'whole run s':>11}"
    )

    def row(self) -> str:
        return (
            f"{self.jobs:>9} | {self.rate:>9.2f} | {self.main_cpu / self.n:>14.3f} | {self.recording_cpu:>15.3f} | "
            f"{f'{self.first_cpu:.3f}/{self.later_cpu:.3f}':>11} | "
            f"{self.recording:>16.3f} | {self.held:>11.3f} | {self.waited:>11.3f} | {self.busy:>12.0%} | "
            f"{self.seconds:>11.1f}"
        )


def grade_once(args, root: Path, jobs: int, quiet: bool) -> Run:
    """Grade the course with `jobs` grading processes, the stand-in in place; print its slices and report."""
    from grader.sealed import batch, cluster

    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    meter = Meter(batch.graded, max(1, -(-args.n // max(1, args.slices))), quiet)
    batch.graded = meter
    if not quiet:
        print(f"N={args.n}, {jobs} grading processes; per slice, wall seconds per submission from the first result")
        print(Slice.HEADER, flush=True)
    started = time.monotonic()
    try:
        results = batch.grade_course(root, jobs, show_progress=False, unconfined=args.unconfined)
    finally:
        batch.graded = meter.graded
    ended = time.monotonic()
    in_gradebook = gradebook_count(root)
    if not quiet:
        report(args, meter, started, ended, len(results), in_gradebook, load)
    ready = cluster.TIMELINE.get("ready", meter.first)
    recorded = list(zip(*meter.recorded, strict=True)) or [[0.0]] * 5
    first = [cpu for cpu, nth in zip(recorded[1], recorded[4], strict=True) if nth == 1]
    later = [cpu for cpu, nth in zip(recorded[1], recorded[4], strict=True) if nth > 1]
    return Run(
        jobs,
        args.n,
        ended - started,
        cluster.TIMELINE.get("last", meter.last) - ready,
        sum(s.cpu for s in meter.slices),
        statistics.median(recorded[0]),
        statistics.mean(recorded[1]),
        statistics.mean(first) if first else float("nan"),
        statistics.mean(later) if later else float("nan"),
        statistics.mean(recorded[2]),
        statistics.mean(recorded[3]),
        meter.busy[0] / meter.busy[1] if meter.busy[1] else float("nan"),
        len(results) == in_gradebook == args.n,
    )


def sweep_report(runs: list[Run], sleep: str) -> None:
    """The sweep's table, then what bounds the rate, from the figures measured."""
    cores = usable_cpus()
    print(
        f"\nresults per second against grading processes ({cores} cores; N={runs[0].n}; results/s from the pool's "
        "start to the last result; per submission: the main process's CPU, one recording's CPU (mean; a grading "
        "process's first recording / its later ones) and wall (median) in its grading process, the seconds it held "
        "SQLite's write lock and waited for it (mean); the machine's busy share, any "
        f"process, first result to last); grading {sleep}"
    )
    print(Run.HEADER)
    for run in runs:
        print(run.row())
    low, top = min(runs, key=lambda r: r.jobs), max(runs, key=lambda r: r.jobs)
    main_cpu = top.main_cpu / top.n
    bounds = {
        f"the cores: {cores} / ({top.recording_cpu:.3f} recording + {main_cpu:.3f} main CPU-s), besides the "
        "grading's own CPU": cores / (top.recording_cpu + main_cpu),
        f"the main process: 1 / {main_cpu:.4f} CPU-s": 1 / max(main_cpu, 1e-9),
        f"SQLite's one writer: 1 / {low.held:.3f} s held (at {low.jobs} processes)": 1 / max(low.held, 1e-9),
    }
    print("bounds, results/s: " + "; ".join(f"{what} = {rate:.1f}" for what, rate in bounds.items()))
    if len(runs) > 1:
        print(
            f"{low.jobs} -> {top.jobs} processes: {low.rate:.2f} -> {top.rate:.2f} results/s "
            f"(x{top.rate / low.rate:.2f} for x{top.jobs / low.jobs:.0f} processes); one recording's wall "
            f"{low.recording:.3f} -> {top.recording:.3f} s, its lock held {low.held:.3f} -> {top.held:.3f} s, "
            f"waited {low.waited:.3f} -> {top.waited:.3f} s"
        )
    used = ", ".join(f"{what.split(':')[0]} {top.rate / rate:.0%}" for what, rate in bounds.items())
    print(f"at {top.jobs} processes ({top.rate:.2f} results/s) used of each bound: {used}; machine busy {top.busy:.0%}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="submissions (default 10000)")
    parser.add_argument("--slices", type=int, default=10, help="slices of the run reported (default 10)")
    parser.add_argument(
        "--jobs",
        type=int,
        nargs="+",
        default=[usable_cpus()],
        help="grading processes (default: cores); several values: one run each, on a fresh copy of the course",
    )
    parser.add_argument(
        "--sleep",
        nargs="?",
        const="real",
        help="the replay sleeps the real grading's wall seconds of its notebook (or SECONDS) before it answers",
    )
    parser.add_argument("--real", action="store_true", help="grade every notebook for real (about 1.5 s of CPU each)")
    parser.add_argument("--unconfined", action="store_true", help="grade without the sandbox (as `grade --unconfined`)")
    parser.add_argument("--root", type=Path, help="build the course here and keep it (default: a temporary folder)")
    args = parser.parse_args(argv)
    if args.n < 1 or min(args.jobs) < 1:
        parser.error("--n and --jobs must be at least 1")
    if args.sleep and args.real:
        parser.error("--sleep is the replay's; --real grades for real")

    from grader.sealed import batch, local_pool

    graded_there = local_pool.grade_submission
    started = time.monotonic()
    root = make_course(args.n, args.root)
    built = time.monotonic() - started
    print(f"course of {args.n} submissions built and released in {built:.1f} s: {root}", flush=True)
    copies = []
    undo = timed_recording(batch)
    try:
        sleep = "for real (--real)"
        if args.real:
            stand_in = "none: every notebook graded for real (--real)"
        else:
            started = time.monotonic()
            graded = real_grades(root, args.unconfined)
            sizes = ", ".join(f"{name} {len(pickle.dumps(r)) / 1024:.0f} KiB" for name, r in graded.items())
            stand_in = f"a replay of real sealed grades ({time.monotonic() - started:.1f} s; pickled: {sizes})"
            if args.sleep:
                for digest, seconds in _REAL_SECONDS.items():
                    _SLEEP[digest] = seconds if args.sleep == "real" else float(args.sleep)
                each = ", ".join(f"{s:.2f}" for s in _SLEEP.values())
                sleep = f"replayed after a sleep of {each} s (per notebook; --sleep): no CPU held while grading"
                stand_in += f", {sleep}"
            else:
                sleep = "replayed at once"
            local_pool.grade_submission = replay  # the forked grading processes inherit it
        print(f"stand-in for session.grade_submission: {stand_in}", flush=True)
        runs, load = [], "/".join(f"{x:.1f}" for x in os.getloadavg())
        for jobs in args.jobs:
            here = root
            if len(args.jobs) > 1:  # each run on a fresh copy: no run finds another's gradebook rows
                here = root.with_name(f"{root.name}-jobs{jobs}-{len(copies)}")
                shutil.copytree(root, here)
                copies.append(here)
            runs.append(grade_once(args, here, jobs, quiet=len(args.jobs) > 1))
            if len(args.jobs) > 1:
                print(f"{jobs} grading processes: {runs[-1].seconds:.1f} s", flush=True)
        if len(args.jobs) > 1 or args.sleep:
            sweep_report(runs, sleep)
            after = "/".join(f"{x:.1f}" for x in os.getloadavg())
            print(f"load average {load} before, {after} after ({usable_cpus()} CPUs)")
        if len(args.jobs) > 1:
            graded_all = all(r.ok for r in runs)
            print(f"every run graded all {args.n}, each in its gradebook: {'yes' if graded_all else 'NO'}")
        return 0 if all(r.ok for r in runs) else 1
    finally:
        undo()
        local_pool.grade_submission = graded_there
        _SLEEP.clear()
        if args.root is None:
            shutil.rmtree(root, ignore_errors=True)
            for copy in copies:
                shutil.rmtree(copy, ignore_errors=True)


def report(args, meter: Meter, started: float, ended: float, results: int, in_gradebook: int, load: str) -> None:
    end = _status()
    peak = (end["VmHWM"] - meter.slices[-1].hwm) / MIB  # what writing them added to the run's peak
    print(
        f"first result after {meter.first - started:.1f} s (imports, checks warm-up, sandbox); results files and "
        f"class summary {ended - meter.last:.1f} s, peak +{peak:.0f} MiB; whole run {ended - started:.1f} s; main "
        f"process at the end: VmRSS {end['VmRSS'] / MIB:.0f} MiB, VmHWM {end['VmHWM'] / MIB:.0f} MiB"
    )
    for line in verdicts(meter.slices):
        print(line)
    print(f"graded {results}, in the gradebook {in_gradebook} of {args.n}")
    print(f"load average {load} before, {'/'.join(f'{x:.1f}' for x in os.getloadavg())} after ({usable_cpus()} CPUs)")


if __name__ == "__main__":
    sys.exit(main())
