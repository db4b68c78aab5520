"""The grader's main process: its own CPU seconds for `python -m grader grade` at several course sizes.

    .venv/bin/python benchmarks/main_process_cpu.py --n 20 40 [--repo PATH]

For each N: a fresh course (this repo's source/ and config, released) with the samples copied under new
names up to N submissions, graded sealed with --jobs 2 --no-similarity in a child process, which prints its
own CPU time (RUSAGE_SELF: the main process alone, not its grading processes or the sandbox) and its wall
time. The slope between two sizes is the main process's cost per additional submission. --repo grades
with another checkout (e.g. an older commit in a git worktree) for a before/after run on one machine.
"""

import argparse
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import resource, runpy, sys, time
sys.argv = ["grader", "--root", sys.argv[1], "grade", "--jobs", "2", "--no-similarity"]
start, t = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
try:
    runpy.run_module("grader", run_name="__main__")
except SystemExit:
    pass
end = resource.getrusage(resource.RUSAGE_SELF)
cpu = end.ru_utime + end.ru_stime - start.ru_utime - start.ru_stime
print(f"FIGURES {cpu:.2f} {time.monotonic() - t:.2f}", file=sys.stderr)
"""


def build(repo: Path, root: Path, n: int) -> None:
    """A released course in `root` with n submissions: the samples, then renamed copies of them."""
    shutil.copytree(repo / "source", root / "source")
    shutil.copy(repo / "nbgrader_config.py", root)
    code = (
        "import sys, shutil; from pathlib import Path; from grader import course, samples\n"
        "root, n = Path(sys.argv[1]), int(sys.argv[2]); course.release(root)\n"
        "names = samples.sample_names()[:n]; samples.write_submissions(root, names); sub = root / 'submitted'\n"
        "for i in range(n - len(names)):\n"
        "    shutil.copytree(sub / names[i % len(names)], sub / f'copy{i:04d}_{names[i % len(names)]}')\n"
    )
    subprocess.run([sys.executable, "-c", code, str(root), str(n)], cwd=repo, check=True, capture_output=True)


def measure(repo: Path, n: int) -> tuple[float, float]:
    """(main-process CPU s, wall s) of one sealed grading of a fresh course of n submissions."""
    with tempfile.TemporaryDirectory(prefix="main-cpu-") as folder:
        root = Path(folder) / "course"
        root.mkdir()
        build(repo, root, n)
        env = {**os.environ, "PYTHONPATH": str(repo)}
        argv = [sys.executable, "-c", CHILD, str(root)]
        proc = subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True)
        line = next(line for line in proc.stderr.splitlines() if line.startswith("FIGURES "))
        cpu, wall = map(float, line.split()[1:])
        return cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[20, 40])
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    print(f"repo {args.repo}, load average {os.getloadavg()[0]:.2f}")
    print(f"{'N':>6} | {'main CPU s':>10} | {'wall s':>7}")
    figures = []
    for n in args.n:
        cpu, wall = measure(args.repo, n)
        figures.append((n, cpu))
        print(f"{n:>6} | {cpu:>10.2f} | {wall:>7.1f}", flush=True)
    for (n0, c0), (n1, c1) in itertools.pairwise(figures):
        print(f"main CPU per additional submission, N={n0}..{n1}: {(c1 - c0) / (n1 - n0):.3f} s")
    print(f"load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
