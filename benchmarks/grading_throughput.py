"""Stock `nbgrader autograde` vs sealed `python -m grader grade` on 1, 2, ... Dask workers, in one run.

    .venv/bin/python benchmarks/grading_throughput.py --n 20 100 500 --workers 1 2 all --stock-max 100

Each N: a fresh course in a temporary folder, N submissions cycling through samples/ (correct and
buggy), graded by stock nbgrader (for N <= --stock-max; beyond, extrapolated from the measured N, as
stock grading is linear in N) and sealed with each worker count. Prints wall-clock seconds and
submissions per second side by side, whether the scores agree, and where the sealed time goes per
submission (from autograded/sealed_report.json).
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

PARTS = ["worker start", "student code", "checks", "gradebook write"]


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


def sealed(root: Path, workers: int) -> tuple[float, dict, dict]:
    """Grade sealed on a local cluster of `workers`. -> (seconds, scores, mean seconds per part)."""
    cmd = [sys.executable, "-m", "grader", "--root", str(root), "grade", "--jobs", str(workers)]
    seconds = timed(subprocess.run, cmd, check=True, capture_output=True)
    report = json.loads((root / "autograded" / "sealed_report.json").read_text())["students"]
    scores = {s: {fn: v["points"] for fn, v in r["functions"].items()} for s, r in report.items()}
    parts = {p: sum(r["timings"].get(p, 0.0) for r in report.values()) / len(report) for p in PARTS}
    return seconds, scores, parts


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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, nargs="+", default=[20])
    parser.add_argument("--workers", nargs="+", default=["1", "all"], help="worker counts; all = one per core")
    parser.add_argument("--stock-max", type=int, default=100, help="largest N graded by stock nbgrader")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    workers = list(dict.fromkeys(cores if w == "all" else int(w) for w in args.workers))
    stock_s, rows, parts = {}, [], {}
    for n in args.n:
        root = make_course(n)
        stock = None
        if n <= args.stock_max:
            stock_s[n] = timed(course.autograde, root)
            stock = course.scores(root)
        runs = {}
        for w in workers:
            seconds, scores, parts[n] = sealed(root, w)
            runs[w] = seconds
            if stock is not None and scores != stock:
                print(
                    f"N={n}, {w} workers: scores differ from stock nbgrader for "
                    f"{sorted(s for s in stock if stock[s] != scores.get(s))}"
                )
        rows.append((n, runs))
        shutil.rmtree(root)
    line = stock_line(stock_s)
    print(
        f"{cores} cores; wall-clock seconds and submissions per second, start-up included; "
        "~ = extrapolated from the measured N"
    )
    header = f"{'N':>5} {'stock s':>9} {'sub/s':>6}"
    for w in workers:
        header += f" | {f'{w} worker' + ('s' if w > 1 else ''):>9} {'sub/s':>6} {'x stock':>7}"
    print(header)
    for n, runs in rows:
        stock = stock_s.get(n, line(n))
        mark = " " if n in stock_s else "~"
        out = f"{n:>5} {mark}{stock:>8.1f} {n / stock:>6.2f}"
        for w in workers:
            out += f" | {runs[w]:>9.1f} {n / runs[w]:>6.2f} {stock / runs[w]:>6.1f}x"
        print(out)
    n = args.n[-1]
    print(
        f"where sealed time goes per submission (N={n}, {workers[-1]} workers, mean seconds): "
        + ", ".join(f"{p} {t:.3f}" for p, t in parts[n].items())
    )


if __name__ == "__main__":
    main()
