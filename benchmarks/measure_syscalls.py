"""Measure the syscalls that sandboxed workers make while grading every sample and attack (for syscalls.py).

    .venv/bin/python benchmarks/measure_syscalls.py [LOG_FOLDER]

Grades a throwaway copy of the course with seccomp programs that deny nothing, under `strace -f`, and
prints the syscalls seen, split into those already in grader/sealed/syscalls.py's allowlists and those
missing from them. Needs Debian's strace. Update WORKER/ZYGOTE by hand from what it prints: an
allowlist is a decision, not a recording.
"""

import re
import shutil
import sys
import tempfile
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import course, samples  # noqa: E402
from grader.sealed import sandbox  # noqa: E402
from grader.sealed.session import Assignment, grade_submission  # noqa: E402
from grader.sealed.spawn import Zygote  # noqa: E402

CALL = re.compile(r"^(\w+)\(")


def allowlisted() -> tuple[set[str], set[str]]:
    """(WORKER, ZYGOTE) names as grader/sealed/syscalls.py lists them (read without libseccomp)."""
    text = (ROOT / "grader" / "sealed" / "syscalls.py").read_text()
    lists = dict(re.findall(r'^(WORKER|ZYGOTE) = """(.*?)"""', text, flags=re.S | re.M))
    return set(lists["WORKER"].split()), set(lists["ZYGOTE"].split())


def sandboxed_calls(lines: list[str]) -> set[str]:
    """Syscalls of one traced process made under the seccomp programs (bubblewrap's own set-up excluded)."""
    started = [i for i, line in enumerate(lines) if line.startswith("execve(") and "python" in line.split(",")[0]]
    if started:
        lines = lines[started[0] + 1 :]  # the zygote: from its exec on
    elif any(line.startswith(("pivot_root(", "signalfd4(", "execve(")) for line in lines):
        return set()  # a bubblewrap process
    return {m.group(1) for m in map(CALL.match, lines) if m}


def first_arguments(lines: list[str], calls: tuple[str, ...]) -> set[str]:
    """`call(first-arg` of the calls whose arguments the allowlists check (prctl, ioctl, clone)."""
    found = set()
    for line in lines:
        if line.startswith(tuple(c + "(" for c in calls)):
            name, _, args = line.partition("(")
            parts = args.split(", ")
            found.add(f"{name}({parts[1] if name == 'ioctl' and len(parts) > 1 else parts[0].split(')')[0]}")
    return found


def main() -> None:
    if shutil.which("strace") is None:
        sys.exit("strace is not installed (apt-get install strace)")
    with tempfile.TemporaryDirectory(prefix="lesson2-measure-") as folder:
        root = Path(folder) / "course"
        shutil.copytree(ROOT / "source", root / "source")
        shutil.copy(ROOT / "nbgrader_config.py", root)
        course.release(root)
        samples.write_submissions(root)
        logs = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(folder) / "strace"  # a folder to keep the logs in
        logs.mkdir(exist_ok=True)
        logs.chmod(0o777)  # strace runs as nobody, with bubblewrap
        start = sandbox.start_boundary

        def traced(argv, seccomp_fd, pass_fds=(), **popen):
            strace = ["strace", "-f", "-ff", "-qq", "-o", str(logs / "trace")]
            return start(argv, seccomp_fd, pass_fds, wrapper=strace, **popen)

        assignment = Assignment.load(root)
        with mock.patch.object(sandbox, "start_boundary", traced):
            zygote = Zygote(assignment.limits, _allow_all_syscalls=True)
        try:
            for student_dir in sorted((root / "submitted").iterdir()):
                path = student_dir / "lesson2_sgd" / "lesson2_sgd.ipynb"
                result = grade_submission(student_dir.name, path, assignment, zygote)
                print(f"{student_dir.name}: {result.total:g}", file=sys.stderr)
        finally:
            zygote.close()
        seen: set[str] = set()
        arguments: set[str] = set()
        for log in logs.iterdir():
            lines = log.read_text(errors="replace").splitlines()
            seen |= sandboxed_calls(lines)
            if sandboxed_calls(lines):
                arguments |= first_arguments(lines, ("prctl", "ioctl"))
    print("prctl/ioctl first arguments:     ", " ".join(sorted(arguments)))
    worker, zygote_only = allowlisted()
    print("seen and allowed for workers: ", " ".join(sorted(seen & worker)))
    print("seen, allowed for the zygote only:", " ".join(sorted(seen & zygote_only)))
    print("seen, in no allowlist:           ", " ".join(sorted(seen - worker - zygote_only)))


if __name__ == "__main__":
    main()
