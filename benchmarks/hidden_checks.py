"""Prints the CPU time of the hidden checks per function and per submission (cold process vs warm).

.venv/bin/python benchmarks/hidden_checks.py
"""

import subprocess
import sys
import time

import lesson_ref
from grader import FUNCTIONS
from grader.runner import run_checks
from grader.submission import Submission


def cpu_times(rounds: int) -> list[dict[str, float]]:
    submission = Submission.from_module(lesson_ref)
    runs = []
    for _ in range(rounds):
        times = {}
        for fn in FUNCTIONS:
            start = time.process_time()
            assert run_checks(fn, submission).passed
            times[fn] = time.process_time() - start
        runs.append(times)
    return runs


if __name__ == "__main__":
    if sys.argv[1:] == ["--cold"]:
        print(sum(cpu_times(1)[0].values()))
        sys.exit()
    cold = float(subprocess.run([sys.executable, __file__, "--cold"], capture_output=True, text=True).stdout)
    first, *warm = cpu_times(4)
    best = {fn: min(run[fn] for run in warm) for fn in FUNCTIONS}
    print(f"{'function':<16}{'first call s':>14}{'warm s':>10}")
    for fn in FUNCTIONS:
        print(f"{fn:<16}{first[fn]:>14.3f}{best[fn]:>10.3f}")
    print(f"{'per submission':<16}{sum(first.values()):>14.3f}{sum(best.values()):>10.3f}")
    print(f"cold process, all four functions (CPU s, pytest start-up included): {cold:.3f}")
