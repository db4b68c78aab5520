"""Stock nbgrader, the kit's autograde and sealed `grade`, side by side on the same courses, in one run.

    .venv/bin/python benchmarks/grading_throughput.py --n 20 100 500 --stock-max 100 --autograde-max 100

For each N: a fresh course in a temporary folder, N submissions cycling through samples/ (correct and
buggy), graded by
- stock sequential nbgrader: `nbgrader autograde lesson2_sgd --force` (in the students' kernels), for
  N <= --stock-max; beyond, extrapolated from the measured N (stock grading is linear in N; marked ~);
- the kit's autograde: `python -m grader autograde` (the same in-kernel grading through the kit's CLI),
  for N <= --autograde-max;
- sealed: `python -m grader grade --jobs J` (the local pool; --jobs all = one per core).
Prints wall-clock seconds, submissions per second and the ratio to stock, whether the three agree on
every score, where the sealed time went (the command's own time line), and the peak memory (VmHWM,
sampled from /proc every 50 ms) of the grader's main process, of a grading process, of the zygote and
of a sandboxed worker, next to stock nbgrader's largest process (nbgrader or a kernel). The machine's
load average before and after each run says how noisy the figures are.
"""

import argparse
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

from grader import course, samples

MIB = 1024


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


def _proc(pid: int, name: str) -> str:
    try:
        return Path(f"/proc/{pid}/{name}").read_bytes().decode(errors="replace")
    except OSError:
        return ""


class PeakMemory:
    """Samples /proc while a command runs: the peak resident memory (KiB) of each kind of process in its tree.

    Kinds: `main` (the command), `grading` (its forks: same command line, parent the main process),
    `zygote` (the sandbox's fork server) and `worker` (the zygote's forks), `other` (nbgrader's kernels, ...).
    """

    def __init__(self, pid: int):
        self.root, self.peaks, self._stop = pid, {}, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> dict[str, int]:
        self._stop.set()
        self._thread.join()
        return self.peaks

    def _run(self):
        while not self._stop.is_set():
            self._sample()
            time.sleep(0.05)

    def _sample(self):
        info = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                stat = _proc(int(entry), "stat")
                if stat:
                    info[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])  # ppid
        tree, todo = {self.root}, [self.root]
        while todo:
            parent = todo.pop()
            for pid, ppid in info.items():
                if ppid == parent and pid not in tree:
                    tree.add(pid)
                    todo.append(pid)
        for pid in tree:
            hwm = re.search(r"VmHWM:\s+(\d+)", _proc(pid, "status"))
            if hwm:
                kind = self._kind(pid, info.get(pid))
                self.peaks[kind] = max(self.peaks.get(kind, 0), int(hwm.group(1)))

    def _kind(self, pid, ppid) -> str:
        if pid == self.root:
            return "main"
        cmdline, parent_cmdline = _proc(pid, "cmdline"), _proc(ppid, "cmdline") if ppid else ""
        if "grader.sealed.zygote" in cmdline:
            return "worker" if cmdline == parent_cmdline else "zygote"
        if ppid == self.root and cmdline == parent_cmdline:
            return "grading"
        return "other"


def run(cmd: list[str], cwd: Path) -> tuple[float, str, dict[str, int]]:
    """Run a command; -> (wall seconds, its output, peak KiB by kind of process)."""
    bindir = Path(sys.executable).parent  # nbgrader shells out to `alembic`, installed beside it
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sampler = PeakMemory(proc.pid)
    output = proc.communicate()[0]
    seconds = time.perf_counter() - start
    peaks = sampler.stop()
    return seconds, output, peaks


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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, nargs="+", default=[20], help="course sizes (default 20)")
    parser.add_argument("--jobs", default="all", help="sealed grading processes; all = one per core")
    parser.add_argument("--stock-max", type=int, default=100, help="largest N graded by stock nbgrader")
    parser.add_argument("--autograde-max", type=int, default=20, help="largest N graded by the kit's autograde")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    jobs = cores if args.jobs == "all" else int(args.jobs)
    py, nbgrader = sys.executable, str(Path(sys.executable).parent / "nbgrader")
    stock_s, rows, notes = {}, [], []
    for n in args.n:
        root = make_course(n)
        row = {"n": n}
        if n <= args.stock_max:
            before = load()
            row["stock"], _, row["stock mem"] = run([nbgrader, "autograde", "lesson2_sgd", "--force"], root)
            stock_s[n] = row["stock"]
            row["stock scores"] = course.scores(root)
            notes.append(f"N={n} stock nbgrader: load average {before} before, {load()} after")
        if n <= args.autograde_max:
            before = load()
            row["kit"], _, row["kit mem"] = run([py, "-m", "grader", "--root", str(root), "autograde"], root)
            row["kit scores"] = course.scores(root)
            notes.append(f"N={n} kit autograde: load average {before} before, {load()} after")
        before = load()
        row["sealed"], output, row["sealed mem"] = run(
            [py, "-m", "grader", "--root", str(root), "grade", "--jobs", str(jobs)], root
        )
        row["sealed scores"] = course.scores(root)
        notes.append(f"N={n} sealed, {jobs} processes: load average {before} before, {load()} after")
        timeline = [line for line in output.splitlines() if line.startswith("time:")]
        notes.append(f"N={n} sealed {timeline[-1] if timeline else '(no time line: ' + output[-300:] + ')'}")
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
        print(
            f"{n:>5} | {mark}{stock:>8.1f} {n / stock:>6.2f} | {kit} | "
            f"{row['sealed']:>16.1f} {n / row['sealed']:>6.2f} {stock / row['sealed']:>6.1f}x | "
            f"{', '.join(agree) or 'not compared'}"
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
    main()
