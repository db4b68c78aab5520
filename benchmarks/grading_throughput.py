"""Stock nbgrader, the kit's autograde, the floor and sealed `grade`, side by side on the same courses, in one run.

    .venv/bin/python benchmarks/grading_throughput.py --n 20 100 500 --stock-max 100 --autograde-max 100

For each N: a fresh course in a temporary folder, N submissions cycling through samples/ (correct and
buggy), graded by
- stock sequential nbgrader: `LESSON2_GRADING=in-kernel nbgrader autograde lesson2_sgd --force` (in the
  students' kernels: the course's nbgrader_config.py would otherwise use the sealed steps), for
  N <= --stock-max; beyond, extrapolated from the measured N (stock grading is linear in N; marked ~);
- the kit's autograde: `python -m grader autograde` (the same in-kernel grading through the kit's CLI),
  for N <= --autograde-max;
- the floor (issue 20), for the course's first --floor-max notebooks: each notebook's code cells run once,
  in order, with the source notebook's grade cells in place (so `award` runs the hidden checks in-process),
  in one warm child process (a warm-up run of the source notebook first, not counted), each notebook in a
  fresh IPython namespace with the inline matplotlib backend (figures drawn to PNG, then dropped); no kernel,
  no sandbox, no gradebook; a cell that raises does not stop the notebook. Its CPU time (all threads) per
  notebook is what grading costs at least;
- sealed: `python -m grader grade --jobs J --no-similarity` (the local pool; --jobs all: one per usable CPU): the
  grading alone, as stock grades; the comparison of the submissions that `grade` runs after it by default
  (stock has nothing like it) is timed apart, `python -m grader similarity`, and printed in the notes.
Prints wall-clock seconds, submissions per second and the ratio to stock, whether they agree on every
score; then, per N, the cost per submission side by side: the floor's CPU seconds, sealed's machine
seconds (wall x cores / N: every core, start-up included), stock's (wall / N: one core, as nbgrader grades
one notebook after another), their ratios against issue 20's goals, the sealed run's CPU by kind of process,
its main process's own CPU seconds (read from /proc as it exits) and the seconds until its first result was
recorded (the first autograded notebook written); the main process's CPU per additional submission between
two N; where the sealed time went (the command's own time line), and the peak memory (VmHWM, sampled from
/proc every 50 ms) of the grader's main process, of a grading process, of the zygote and of a sandboxed
worker, next to stock nbgrader's largest process (nbgrader or a kernel). The machine's load average before
and after each run says how noisy the figures are.
"""

import argparse
import contextlib
import dataclasses
import io
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat

from grader import ASSIGNMENT, FUNCTIONS, course, samples
from grader.course import NOTEBOOK
from grader.sealed.cpus import usable_cpus

MIB = 1024
# issue 20's goals
FLOOR_GOAL = 1.5  # sealed machine-seconds per submission, at most this times the floor's CPU seconds
STOCK_GOALS = {20: 5.0, 100: 6.0}  # N -> sealed at least this many times faster than stock nbgrader (wall)
FIRST_GRADE_GOAL = 3.0  # seconds from the command's start to the first result recorded
MAIN_CPU_GOAL = 0.03  # the main process's CPU seconds per additional submission


def make_course(n: int) -> Path:
    """A course folder with the assignment released and N sample submissions (s0000_<sample>, ...)."""
    root = Path(tempfile.mkdtemp(prefix=f"bench-{n}-"))
    shutil.copytree(course.ROOT / "source", root / "source")
    shutil.copy(course.ROOT / "nbgrader_config.py", root)
    course.release(root)
    release_nb = nbformat.read(root / "release" / "lesson2_sgd" / "lesson2_sgd.ipynb", as_version=4)
    source_nb = nbformat.read(root / "source" / "lesson2_sgd" / "lesson2_sgd.ipynb", as_version=4)
    names = samples.sample_names()
    for i in range(n):
        name = names[i % len(names)]
        out = root / "submitted" / f"s{i:04d}_{name}" / "lesson2_sgd" / "lesson2_sgd.ipynb"
        out.parent.mkdir(parents=True)
        nbformat.write(samples.sample_notebook(samples.SAMPLES_DIR / f"{name}.py", release_nb, source_nb), out)
    return root


# The floor (issue 20): what grading a notebook costs at least. Each submitted notebook's code cells run once, in
# order, with the instructor's grade cells in place (their hidden part calls grader.hidden.award in-process),
# in one warm process: no kernel, no sandbox, no gradebook. Run in a fresh child process (FLOOR_CHILD).
FLOOR_CHILD = "--floor-child"


class _Sink(io.TextIOBase):
    """stdout and stderr while a floor notebook runs: what the cells print is made, then dropped."""

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        return len(text)


def _floor_shell():
    """One IPython shell as a kernel has it (history off, the inline matplotlib backend), its displays dropped
    once formatted (a figure is still drawn to PNG, as the inline backend does in a kernel); -> (shell, figures),
    figures() being how many PNGs were drawn so far."""
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    drawn = [0]

    class Discard(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
            drawn[0] += "image/png" in data

        def clear_output(self, wait=False):
            pass

    class Shell(InteractiveShell):
        display_pub_class = Discard

        def enable_gui(self, gui=None):
            """The inline backend needs no GUI event loop (a kernel's shell answers the same)."""

    config = Config()
    config.HistoryManager.enabled = False
    config.HistoryAccessor.enabled = False
    config.InteractiveShell.colors = "neutral"
    config.InteractiveShell.autocall = 0
    config.InteractiveShell.xmode = "Context"
    with tempfile.TemporaryDirectory(prefix="floor-ipython-") as ipython_dir:
        shell = Shell.instance(config=config, ipython_dir=ipython_dir)
    shell.enable_matplotlib("inline")
    return shell, lambda: drawn[0]


def _fresh(shell) -> None:
    """A fresh namespace, as a new kernel's: IPython's reset(), which ends with a full gc.collect().

    Not timed: 0.2 s here with torch, pytest and nbgrader on the heap, which a kernel or a worker forked from a
    warm zygote never pays. Not skipped either: the last notebook's garbage (its matplotlib Animation, which
    warns when it is deleted unrendered) would then be collected at some point of the next notebook, maybe
    inside a hidden check's call, where a warning is the student's noise and costs points.
    """
    shell.reset(new_session=False)


def _floor_run(shell, nb, grade_cells: dict[str, str], folder: Path) -> dict[str, float]:
    """Run a notebook's code cells once, in order, grade cells in the source's version; a cell that raises does
    not stop the notebook (nbgrader's allow_errors). -> points per function, each its grade cell's value."""
    os.chdir(folder)  # a kernel starts in the notebook's folder
    points = dict.fromkeys(FUNCTIONS, 0.0)
    with contextlib.redirect_stdout(_Sink()), contextlib.redirect_stderr(_Sink()):
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            source = grade_cells.get(grade_id, cell.source)
            result = shell.run_cell(source, store_history=False)
            if grade_id in grade_cells and result.success and grade_id.removeprefix("test_") in points:
                points[grade_id.removeprefix("test_")] = float(result.result)
    return points


def floor_child(root: Path, students: list[str]) -> dict:
    """In a fresh process: a warm-up run of the source notebook (not counted), then each student's notebook.

    -> {"warm_up": seconds, "students": {student: {"cpu": s, "wall": s, "figures": n, "points": {fn: points}}}};
    cpu is this process's CPU time (all threads) while that notebook was read and run.
    """
    started = time.perf_counter()
    os.environ["NBGRADER_EXECUTION"] = "autograde"  # as nbgrader and the sealed worker set it
    import torch

    torch.set_num_threads(1)  # as the sealed grading processes and workers run
    source_nb = nbformat.read(root / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    grade_cells = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in source_nb.cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
    }
    shell, figures = _floor_shell()
    _fresh(shell)
    _floor_run(shell, source_nb, grade_cells, root / "source" / ASSIGNMENT)
    out = {"warm_up": time.perf_counter() - started, "students": {}}
    for student in students:
        path = root / "submitted" / student / ASSIGNMENT / NOTEBOOK
        _fresh(shell)
        drawn, cpu, wall = figures(), time.process_time(), time.perf_counter()
        points = _floor_run(shell, nbformat.read(path, as_version=4), grade_cells, path.parent)
        out["students"][student] = {
            "cpu": time.process_time() - cpu,
            "wall": time.perf_counter() - wall,
            "figures": figures() - drawn,
            "points": points,
        }
    return out


def floor(root: Path, students: list[str]) -> dict:
    """floor_child in a fresh process (this script with FLOOR_CHILD); -> what it returned."""
    argv = [sys.executable, str(Path(__file__).resolve()), FLOOR_CHILD, str(root), *students]
    proc = subprocess.run(argv, cwd=root, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"the floor run failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.splitlines()[-1])


def _children(pid: int) -> list[int]:
    """The children of a process (of each of its threads), from /proc/<pid>/task/<tid>/children."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    return [int(child) for task in tasks for child in _proc(pid, f"task/{task}/children").split()]


def _proc(pid: int, name: str) -> str:
    try:
        return Path(f"/proc/{pid}/{name}").read_bytes().decode(errors="replace")
    except OSError:
        return ""


class PeakMemory:
    """Samples /proc while a command runs: the peak resident memory (KiB) of each kind of process in its tree, and
    the CPU seconds (utime + stime) each process had at its last sample.

    Kinds: `main` (the command), `grading` (its forks: same command line, parent the main process),
    `zygote` (the sandbox's fork server) and `worker` (the zygote's forks), `other` (nbgrader's kernels, ...).
    """

    def __init__(self, pid: int):
        self.root, self.peaks, self._stop = pid, {}, threading.Event()
        self.cpu: dict[tuple[int, str], tuple[str, float]] = {}  # (pid, start time) -> (kind, CPU s so far)
        self.kinds: dict[tuple[tuple[int, str], str], str] = {}  # ((pid, start time), command line) -> kind
        self._tick = os.sysconf("SC_CLK_TCK")
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> dict[str, int]:
        self._stop.set()
        self._thread.join()
        return self.peaks

    def cpu_by_kind(self) -> dict[str, float]:
        """CPU seconds by kind of process, as last sampled (a process's last 50 ms, or a shorter life, are missed)."""
        total: dict[str, float] = {}
        for kind, seconds in self.cpu.values():
            total[kind] = total.get(kind, 0.0) + seconds
        return total

    def _run(self):
        while not self._stop.is_set():
            self._sample()
            time.sleep(0.05)

    def _sample(self):
        # only the command's own tree is read (each thread's children, from /proc): the sampler shares the cores
        # it measures, and reading every process of the machine cost 5-6% of a core
        tree, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo += _children(pid)
        for pid in tree:
            stat, hwm = _proc(pid, "stat"), re.search(r"VmHWM:\s+(\d+)", _proc(pid, "status"))
            if stat and hwm:
                fields = stat.rsplit(")", 1)[1].split()  # from the state on: ppid is [1], start time [19]
                key, cmdline = (pid, fields[19]), _proc(pid, "cmdline")  # a fork's command line changes at exec
                kind = self.kinds.get((key, cmdline)) or self.kinds.setdefault(
                    (key, cmdline), self._kind(pid, int(fields[1]), cmdline)
                )
                self.peaks[kind] = max(self.peaks.get(kind, 0), int(hwm.group(1)))
                self.cpu[key] = (kind, (int(fields[11]) + int(fields[12])) / self._tick)

    def _kind(self, pid, ppid, cmdline) -> str:
        if pid == self.root:
            return "main"
        parent_cmdline = _proc(ppid, "cmdline") if ppid else ""
        if "grader.sealed.zygote" in cmdline:
            return "worker" if cmdline == parent_cmdline else "zygote"
        if ppid == self.root and cmdline == parent_cmdline:
            return "grading"
        return "other"


@dataclasses.dataclass
class Ran:
    """One command's run: its wall seconds, output, peak memory by kind of process, and CPU seconds."""

    seconds: float
    output: str
    peaks: dict[str, int]
    main_cpu: float  # the command's own process, all its threads (from /proc just before it was reaped)
    cpu: dict[str, float]  # CPU seconds by kind of process (PeakMemory's kinds), sampled; main's is main_cpu
    first_grade: float | None = None  # seconds from the start until the first result was recorded (watched)


class FirstGrade:
    """Polls (every 20 ms) for the first of `paths` written after the command started: the first result recorded.

    nbgrader's converter writes autograded/<student>/lesson2_sgd/lesson2_sgd.ipynb last, after the gradebook
    rows; an earlier run's file (stock's, on the same course) is older than the start and does not count.
    """

    def __init__(self, paths: list[Path], start: float, start_ns: int):
        self.paths, self.start, self.start_ns = paths, start, start_ns
        self.seconds: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> float | None:
        self._stop.set()
        self._thread.join()
        return self.seconds

    def _run(self):
        while not self._stop.is_set():
            for path in self.paths:
                try:
                    if path.stat().st_mtime_ns >= self.start_ns:
                        self.seconds = time.perf_counter() - self.start
                        return
                except OSError:
                    continue
            time.sleep(0.02)


def _own_cpu(pid: int) -> float:
    """utime + stime of a process (all its threads), from /proc/<pid>/stat: a zombie's still has its final ones."""
    fields = _proc(pid, "stat").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(cmd: list[str], cwd: Path, watch: list[Path] | None = None, env: dict[str, str] | None = None) -> Ran:
    """Run a command, sampling its processes' memory (and, given `watch`, the first of them written)."""
    bindir = Path(sys.executable).parent  # nbgrader shells out to `alembic`, installed beside it
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}", **(env or {})}
    start, start_ns = time.perf_counter(), time.time_ns()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sampler = PeakMemory(proc.pid)
    first = FirstGrade(watch, start, start_ns) if watch else None
    chunks: list[str] = []
    reader = threading.Thread(target=lambda: chunks.append(proc.stdout.read()), daemon=True)
    reader.start()
    os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)  # it has exited; its /proc entry stays until reaped
    seconds = time.perf_counter() - start
    main_cpu = _own_cpu(proc.pid)
    _, status, _ = os.wait4(proc.pid, 0)  # its rusage would miss the sandbox's processes: reaped outside its tree
    proc.returncode = os.waitstatus_to_exitcode(status)
    reader.join()
    proc.stdout.close()
    peaks = sampler.stop()
    cpu = {**sampler.cpu_by_kind(), "main": main_cpu}
    return Ran(seconds, "".join(chunks), peaks, main_cpu, cpu, first.stop() if first else None)


def stock_line(measured: dict[int, float]):
    """seconds = fixed + per_submission * N through the measured points (stock grading is linear in N)."""
    ns = sorted(measured)
    if not ns:
        return lambda n: float("nan")
    if len(ns) == 1:
        return lambda n: measured[ns[0]] * n / ns[0]
    n0, n1 = ns[0], ns[-1]
    per = (measured[n1] - measured[n0]) / (n1 - n0)
    return lambda n: measured[n0] + per * (n - n0)


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def goal(met: bool) -> str:
    return "yes" if met else "NO"


def comparison(row: dict, cores: int, jobs: int, stock: float, extrapolated: bool) -> list[str]:
    """One table for one N: the floor, sealed and stock per submission, their ratios and issue 20's goals."""
    n, sealed = row["n"], row["sealed run"]
    sealed_cost = sealed.seconds * cores / n  # the machine's time: every core, all processes, start-up included
    stock_cost = stock / n  # stock nbgrader grades one notebook after another, in one kernel at a time: one core
    lines = [
        f"N={n}: cost per submission ({cores} cores; sealed with {jobs} grading processes)",
        f"  {'':<34} {'per submission':>17} | {'ratio':<22} | {'goal':<26} | met",
    ]
    if "floor" in row:
        floor = row["floor"]["students"]
        cpu = sum(s["cpu"] for s in floor.values()) / len(floor)
        wall = sum(s["wall"] for s in floor.values()) / len(floor)
        counted = f"{len(floor)} notebooks" + (f" of {n}" if len(floor) < n else "")
        lines.append(
            f"  {'floor: 1 warm process, ' + counted:<34} {cpu:>7.3f} CPU-s     | {f'wall {wall:.3f} s':<22} |"
        )
        ratio = sealed_cost / cpu
        lines.append(
            f"  {'sealed: wall x cores / N':<34} {sealed_cost:>7.3f} machine-s | {f'{ratio:.2f}x the floor':<22} | "
            f"{f'<= {FLOOR_GOAL}x the floor':<26} | {goal(ratio <= FLOOR_GOAL)}"
        )
    else:
        lines.append(f"  {'sealed: wall x cores / N':<34} {sealed_cost:>7.3f} machine-s | {'(no floor run)':<22} |")
    target = STOCK_GOALS.get(n)
    if stock == stock:  # not NaN: stock was graded at some N
        faster, mark = stock / sealed.seconds, "~" if extrapolated else ""
        lines.append(
            f"  {'stock nbgrader (sequential): wall/N':<34} {stock_cost:>7.3f} machine-s | "
            f"{f'{mark}{faster:.1f}x sealed wall':<22} | "
            f"{f'>= {target:g}x sealed wall' if target else '(none at this N)':<26} | "
            f"{goal(faster >= target) if target else '-'}"
        )
    else:
        lines.append(f"  {'stock nbgrader':<34} {'-':>17} | {'(no stock run)':<22} |")
    sampled = sum(sealed.cpu.values())
    kinds = ", ".join(f"{kind} {seconds / n:.3f}" for kind, seconds in sorted(sealed.cpu.items()) if seconds)
    lines.append(
        f"  sealed CPU-s per submission, all processes (sampled from /proc): {sampled / n:.3f}"
        + (f" ({sampled / n / cpu:.2f}x the floor)" if "floor" in row else "")
        + f": {kinds}"
    )
    lines.append(
        f"  sealed main process: {sealed.main_cpu:.2f} CPU-s ({sealed.main_cpu / n:.3f} per submission), "
        f"{sealed.main_cpu / (sealed.seconds * cores):.1%} of the machine's time"
    )
    own = re.search(r"first grade after ([\d.]+) s", sealed.output)
    first = "not seen" if sealed.first_grade is None else f"{sealed.first_grade:.1f} s"
    met = (
        f" (goal <= {FIRST_GRADE_GOAL:g} s: {goal(sealed.first_grade <= FIRST_GRADE_GOAL)})"
        if sealed.first_grade
        else ""
    )
    lines.append(
        f"  first grade recorded {first} after the command started{met}"
        + (f"; the grader's own time line: {own.group(1)} s from its process's start" if own else "")
    )
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, nargs="+", default=[20], help="course sizes (default 20)")
    parser.add_argument("--jobs", default="all", help="sealed grading processes; all = one per CPU the run may use")
    parser.add_argument("--stock-max", type=int, default=100, help="largest N graded by stock nbgrader")
    parser.add_argument("--autograde-max", type=int, default=20, help="largest N graded by the kit's autograde")
    parser.add_argument(
        "--floor-max", type=int, default=100, help="notebooks the floor runs at most (the course's first; 0: none)"
    )
    args = parser.parse_args()
    cores = usable_cpus()
    jobs = cores if args.jobs == "all" else int(args.jobs)
    py, nbgrader = sys.executable, str(Path(sys.executable).parent / "nbgrader")
    stock_s, rows, notes = {}, [], []
    for n in args.n:
        root = make_course(n)
        students = sorted(p.name for p in (root / "submitted").iterdir())
        row = {"n": n}
        if n <= args.stock_max:
            before = load()
            # the course's nbgrader_config.py makes `nbgrader autograde` grade sealed unless told otherwise
            ran = run([nbgrader, "autograde", "lesson2_sgd", "--force"], root, env={"LESSON2_GRADING": "in-kernel"})
            row["stock"], row["stock mem"] = ran.seconds, ran.peaks
            stock_s[n] = row["stock"]
            row["stock scores"] = course.scores(root)
            notes.append(f"N={n} stock nbgrader: load average {before} before, {load()} after")
        if n <= args.autograde_max:
            before = load()
            ran = run([py, "-m", "grader", "--root", str(root), "autograde"], root)
            row["kit"], row["kit mem"] = ran.seconds, ran.peaks
            row["kit scores"] = course.scores(root)
            notes.append(f"N={n} kit autograde: load average {before} before, {load()} after")
        if args.floor_max > 0:
            before = load()
            row["floor"] = floor(root, students[: args.floor_max])
            notes.append(
                f"N={n} floor: load average {before} before, {load()} after; warm-up (imports, the source notebook) "
                f"{row['floor']['warm_up']:.1f} s, not counted"
            )
        before = load()
        watch = [root / "autograded" / student / ASSIGNMENT / NOTEBOOK for student in students]
        grade = [py, "-m", "grader", "--root", str(root), "grade", "--jobs", str(jobs), "--no-similarity"]
        ran = run(grade, root, watch)
        row["sealed"], row["sealed mem"], row["sealed run"] = ran.seconds, ran.peaks, ran
        row["sealed scores"] = course.scores(root)
        notes.append(f"N={n} sealed, {jobs} processes: load average {before} before, {load()} after")
        timeline = [line for line in ran.output.splitlines() if line.startswith("time:")]
        notes.append(f"N={n} sealed {timeline[-1] if timeline else '(no time line: ' + ran.output[-300:] + ')'}")
        compared = run([py, "-m", "grader", "--root", str(root), "similarity"], root)
        notes.append(
            f"N={n} similarity (`grade` runs it after the grading unless --no-similarity; not in the sealed "
            f"figures above, stock has no such step): {compared.seconds:.1f} s, {compared.main_cpu:.1f} CPU-s"
        )
        rows.append(row)
        shutil.rmtree(root)
    line = stock_line(stock_s)
    print(f"{cores} cores; wall-clock seconds and submissions per second, start-up included; ~ = extrapolated")
    print(
        f"{'N':>5} | {'stock s':>9} {'sub/s':>6} | {'kit autograde':>13} {'sub/s':>6} | "
        f"{f'sealed ({jobs} proc)':>16} {'sub/s':>6} {'x stock':>7} | scores agree"
    )
    for row in rows:
        n = row["n"]
        stock = row.get("stock", line(n))
        mark = " " if "stock" in row else "~"
        kit = f"{row['kit']:>13.1f} {n / row['kit']:>6.2f}" if "kit" in row else f"{'-':>13} {'-':>6}"
        agree = []
        if "stock scores" in row:
            agree.append("sealed = stock: " + ("yes" if row["sealed scores"] == row["stock scores"] else "NO"))
        if "kit scores" in row and "stock scores" in row:
            agree.append("kit = stock: " + ("yes" if row["kit scores"] == row["stock scores"] else "NO"))
        if "floor" in row:
            other, name = (row["stock scores"], "stock") if "stock scores" in row else (row["sealed scores"], "sealed")
            same = all(s["points"] == other.get(student) for student, s in row["floor"]["students"].items())
            agree.append(f"floor = {name}: " + ("yes" if same else "NO"))
        print(
            f"{n:>5} | {mark}{stock:>8.1f} {n / stock:>6.2f} | {kit} | "
            f"{row['sealed']:>16.1f} {n / row['sealed']:>6.2f} {stock / row['sealed']:>6.1f}x | "
            f"{', '.join(agree) or 'not compared'}"
        )
    for row in rows:
        print("\n".join(comparison(row, cores, jobs, row.get("stock", line(row["n"])), "stock" not in row)))
    for r0, r1 in itertools.pairwise(rows):
        n0, n1 = r0["n"], r1["n"]
        if n1 != n0:
            slope = (r1["sealed run"].main_cpu - r0["sealed run"].main_cpu) / (n1 - n0)
            print(
                f"sealed main process per additional submission, N={n0}..{n1}: {slope:.3f} CPU-s "
                f"(goal <= {MAIN_CPU_GOAL}: {goal(slope <= MAIN_CPU_GOAL)})"
            )
    print("peak memory (MiB, VmHWM):")
    for row in rows:
        m = row["sealed mem"]
        sealed = ", ".join(
            f"{kind} {m[kind] / MIB:.0f}" for kind in ("main", "grading", "zygote", "worker") if kind in m
        )
        stock = (
            f"; stock nbgrader's largest process {max(row['stock mem'].values()) / MIB:.0f}"
            if "stock mem" in row
            else ""
        )
        print(f"  N={row['n']}: sealed {sealed}{stock}")
    for note in notes:
        print(note)


if __name__ == "__main__":
    if sys.argv[1:2] == [FLOOR_CHILD]:
        result = floor_child(Path(sys.argv[2]), sys.argv[3:])
        print(json.dumps(result))
    else:
        main()
