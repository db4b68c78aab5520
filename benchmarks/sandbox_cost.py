"""What the sandbox costs per worker: confined vs --unconfined, side by side in one run.

    .venv/bin/python benchmarks/sandbox_cost.py [--workers 40]

For each mode: the zygote's start (to ready), then `--workers` workers one after another, each spawned,
confined (namespaces, mounts, limits, capabilities, seccomp), handshaken and killed. Prints medians.
"""

import argparse
import statistics
import time

from grader.sealed.spawn import Worker, Zygote


def measure(unconfined: bool, workers: int) -> tuple[float, list[float]]:
    """-> (seconds to a ready zygote, seconds per worker from request to ready)."""
    started = time.perf_counter()
    zygote = Zygote(unconfined=unconfined)
    zygote.wait_ready()
    boot = time.perf_counter() - started
    per_worker = []
    try:
        for _ in range(workers):
            started = time.perf_counter()
            worker = Worker(zygote)
            per_worker.append(time.perf_counter() - started)
            worker.kill()
    finally:
        zygote.close()
    return boot, per_worker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=40)
    args = parser.parse_args()
    rows = {mode: measure(mode == "unconfined", args.workers) for mode in ("confined", "unconfined")}
    print(f"{'mode':<11} {'zygote ready s':>15} {'worker median ms':>17} {'worker p90 ms':>14}")
    for mode, (boot, times) in rows.items():
        p90 = sorted(times)[int(0.9 * (len(times) - 1))]
        print(f"{mode:<11} {boot:>15.2f} {1000 * statistics.median(times):>17.1f} {1000 * p90:>14.1f}")
    extra = statistics.median(rows["confined"][1]) - statistics.median(rows["unconfined"][1])
    print(f"the sandbox adds {1000 * extra:.1f} ms per worker (one worker per submission)")


if __name__ == "__main__":
    main()
