"""Stock `nbgrader autograde` vs sealed `python -m grader grade` on the same N submissions, in one run.

    .venv/bin/python benchmarks/grading_throughput.py --n 20 100

Each N: a fresh course in a temporary folder, N submissions cycling through samples/ (correct and
buggy), graded by both; prints seconds, submissions per second, the ratio, and any score that differs.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from grader import course, samples


def make_course(n: int) -> Path:
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


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, nargs="+", default=[20])
    args = parser.parse_args()
    rows = []
    for n in args.n:
        root = make_course(n)
        stock_s = timed(course.autograde, root)
        stock = course.scores(root)
        cmd = [sys.executable, "-m", "grader", "--root", str(root), "grade"]
        sealed_s = timed(subprocess.run, cmd, check=True, capture_output=True)
        report = json.loads((root / "autograded" / "sealed_report.json").read_text())["students"]
        sealed = {s: {fn: v["points"] for fn, v in r["functions"].items()} for s, r in report.items()}
        differ = [s for s in stock if stock[s] != sealed.get(s)]
        rows.append((n, stock_s, sealed_s, differ))
        shutil.rmtree(root)
    print(f"{os.cpu_count()} cores; stock = nbgrader autograde (one process), sealed = python -m grader grade")
    print(f"{'N':>5} {'stock s':>9} {'stock sub/s':>12} {'sealed s':>9} {'sealed sub/s':>13} {'ratio':>7}  scores")
    for n, stock_s, sealed_s, differ in rows:
        agree = "all agree" if not differ else f"differ for {', '.join(differ)}"
        print(f"{n:>5} {stock_s:>9.1f} {n / stock_s:>12.2f} {sealed_s:>9.1f} {n / sealed_s:>13.2f} "
              f"{stock_s / sealed_s:>6.1f}x  {agree}")


if __name__ == "__main__":
    main()
