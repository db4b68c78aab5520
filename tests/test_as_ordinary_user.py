"""Where instructors run: the sandbox probes, the attacks, the fidelity tests and `demo`, as ordinary users.

CI runs as root, which would hide every failure of an instructor without it. So, started as root, this
module makes two ordinary users, one granted subordinate ids (/etc/subuid, /etc/subgid: workers get a uid of
their own) and one without (workers run under the instructor's uid), each with a copy of the course in a
home folder of mode 0700 and a copy of this venv, and runs the sealed tests there as that user.
"""

import json
import os
import pwd
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from grader.course import ROOT
from grader.sealed.cpus import usable_cpus

USERS = {"lesson2-sub": True, "lesson2-own": False}  # name -> granted subordinate ids
SEALED_TESTS = ["tests/test_sandbox.py", "tests/test_sealed.py", "tests/test_fidelity.py"]

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0,
    reason="making test users needs root; this suite runs as an ordinary user already, so every sealed test ran as one",
)


def _make_user(name: str, subordinate: bool) -> Path:
    """The user (made once), its home 0700, a fresh copy of the course and of this venv in it."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        counts = [] if subordinate else ["-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0"]
        subprocess.run(["useradd", "-m", "-s", "/bin/sh", *counts, name], check=True)
    if not subordinate:  # whatever an earlier run or the system left: no range for this one
        for table in ("/etc/subuid", "/etc/subgid"):
            if Path(table).exists():
                kept = [line for line in Path(table).read_text().splitlines() if not line.startswith(f"{name}:")]
                Path(table).write_text("".join(f"{line}\n" for line in kept))
    home = Path(pwd.getpwnam(name).pw_dir)
    home.chmod(0o700)
    course = home / "course"
    shutil.rmtree(course, ignore_errors=True)
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for rel in filter(None, (f.decode() for f in files)):
        if (ROOT / rel).is_file():
            (course / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, course / rel)
    venv = Path(os.path.realpath(ROOT / ".venv"))
    if subprocess.run(["cp", "-al", str(venv), str(course / ".venv")], capture_output=True).returncode != 0:
        subprocess.run(["cp", "-a", str(venv), str(course / ".venv")], check=True)
    subprocess.run(["chown", "-R", "--no-dereference", f"{name}:{name}", str(course)], check=True)
    return course


def _as(name: str, course: Path, *argv: str, timeout: int) -> subprocess.CompletedProcess:
    env = ["env", "-i", "PATH=/usr/bin:/bin", f"HOME={course.parent}", "LANG=C.UTF-8"]
    cmd = ["runuser", "-u", name, "--", *env, *argv]
    return subprocess.run(cmd, cwd=course, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module", params=sorted(USERS))
def instructor(request):
    name = request.param
    course = _make_user(name, USERS[name])
    base = Path(re.search(r"^home = (.*)$", (course / ".venv/pyvenv.cfg").read_text(), re.M).group(1))
    readable = _as(name, course, str(base / "python3"), "-c", "print('ok')", timeout=60)
    if readable.stdout.strip() != "ok":
        pytest.fail(f"the venv's Python ({base}) is not usable by an ordinary user: build .venv with `make`")
    return name, course


def test_the_user_has_the_identity_the_host_grants(instructor):
    """Does the grader pick a subordinate uid for the user granted one, and its own uid for the other?"""
    name, course = instructor
    code = "from grader.sealed import identity; w = identity.current(); print(w.kind, w.uid)"
    said = _as(name, course, ".venv/bin/python", "-c", code, timeout=60).stdout.split()
    uid = pwd.getpwnam(name).pw_uid
    if USERS[name]:
        assert said[0] == "subordinate" and int(said[1]) != uid, said
    else:
        assert said == ["own", str(uid)]


def test_the_sealed_tests_pass_as_an_ordinary_user(instructor):
    """As an instructor without root: do the sandbox probes, the attack catalogue and the fidelity tests pass?"""
    name, course = instructor
    argv = [".venv/bin/python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *SEALED_TESTS]
    proc = _as(name, course, *argv, timeout=1800)
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-2000:]
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert re.search(r"\d+ passed", summary) and not re.search(r"skipped|failed|error", summary), summary


def test_the_demo_grades_sealed_and_says_nothing_of_root(instructor):
    """Does the README's first command's job (release, samples, sealed grading) work as an ordinary user,
    every sample as expected, with no word about root, one grading process per CPU the user may use?"""
    name, course = instructor
    proc = _as(name, course, ".venv/bin/python", "-m", "grader", "demo", timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "root" not in (proc.stdout + proc.stderr).lower()
    assert " NO " not in proc.stdout
    cpus = usable_cpus()  # the user's process shares this one's affinity and cgroup
    assert f"sealed in {cpus} grading process{'es' * (cpus != 1)};" in proc.stdout, proc.stdout[-1500:]
    sandbox = json.loads((course / "autograded" / "sealed_results.json").read_text())["sandbox"]
    assert ("a subordinate uid" if USERS[name] else "the grader's own uid") in sandbox, sandbox
