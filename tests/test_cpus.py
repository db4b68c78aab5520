"""How many submissions `grade` grades at once by default: one per CPU the instructor may use, not per core.

A shared teaching server caps an instructor by CPU affinity or by a cgroup's CPU quota (a JupyterHub pod's
cpu_limit, a systemd slice's CPUQuota=). The cgroup trees here are files laid out as the kernel lays them out
(proc(5), cgroups(7)); the last tests use the real kernel: affinity, and a real cgroup where this user may
make one.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from grader.sealed.cpus import cgroup_mounts, cpu_quotas, usable_cpus

AFFINITY = len(os.sched_getaffinity(0))


def proc_files(tmp_path: Path, cgroup: list[str], mounts: list[str]) -> Path:
    """A stand-in for /proc/self holding only `cgroup` and `mountinfo`."""
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "cgroup").write_text("".join(f"{line}\n" for line in cgroup))
    (proc / "mountinfo").write_text("".join(f"{line}\n" for line in mounts))
    return proc


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


def test_a_quota_on_a_parent_slice_holds_for_the_group_below_it(tmp_path):
    """On a cgroup v2 server whose user slice allows half a CPU, does grading default to one process?"""
    cg = tmp_path / "cg"
    scope = cg / "user.slice" / "user-1000.slice" / "session-3.scope"
    write(cg / "user.slice" / "cpu.max", "max 100000")
    write(scope.parent / "cpu.max", "50000 100000")
    write(scope / "cpu.max", "max 100000")
    proc = proc_files(
        tmp_path,
        ["0::/user.slice/user-1000.slice/session-3.scope"],
        [f"30 22 0:26 / {cg} rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate"],
    )
    assert cpu_quotas(proc) == [0.5]
    assert usable_cpus(proc) == 1


def test_the_tightest_of_several_quotas_counts_and_a_fraction_rounds_up(tmp_path):
    """With 1.5 CPUs in a pod inside a 3-CPU parent, are two gradings (not one, not three) the most by quota?"""
    cg = tmp_path / "cg"
    write(cg / "kubepods" / "cpu.max", "300000 100000")
    write(cg / "kubepods" / "pod7" / "cpu.max", "150000 100000")
    proc = proc_files(tmp_path, ["0::/kubepods/pod7"], [f"30 22 0:26 / {cg} rw - cgroup2 cgroup2 rw"])
    assert sorted(cpu_quotas(proc)) == [1.5, 3.0]
    assert usable_cpus(proc) == min(AFFINITY, 2)


def test_a_v1_container_sees_its_own_group_at_the_mount_point(tmp_path):
    """In a cgroup v1 container (its group mounted as the root), is the container's 1-CPU quota found?"""
    cpu = tmp_path / "cpu,cpuacct"
    write(cpu / "cpu.cfs_quota_us", "100000")
    write(cpu / "cpu.cfs_period_us", "100000")
    proc = proc_files(
        tmp_path,
        ["12:memory:/docker/abc", "4:cpu,cpuacct:/docker/abc", "0::/"],
        [
            f"40 31 0:38 /docker/abc {cpu} ro,nosuid - cgroup cgroup rw,cpu,cpuacct",
            f"41 31 0:39 /docker/abc {tmp_path / 'memory'} ro,nosuid - cgroup cgroup rw,memory",
        ],
    )
    assert cpu_quotas(proc) == [1.0]
    assert usable_cpus(proc) == 1


def test_no_quota_leaves_the_affinity(tmp_path):
    """Without a quota anywhere (v1 -1, v2 max), or without cgroup files at all, is every allowed CPU used?"""
    cg, cpu = tmp_path / "cg", tmp_path / "cpu"
    write(cg / "a" / "cpu.max", "max 100000")
    write(cpu / "a" / "cpu.cfs_quota_us", "-1")
    write(cpu / "a" / "cpu.cfs_period_us", "100000")
    proc = proc_files(
        tmp_path,
        ["1:cpu:/a", "0::/a"],
        [f"30 22 0:26 / {cg} rw - cgroup2 cgroup2 rw", f"32 23 0:29 / {cpu} rw - cgroup cgroup rw,cpu"],
    )
    assert cpu_quotas(proc) == []
    assert usable_cpus(proc) == AFFINITY
    assert usable_cpus(tmp_path / "no-such-proc") == AFFINITY


def test_lines_it_cannot_read_are_passed_over(tmp_path):
    """Do a malformed /proc line and a mountinfo line without its separator leave the count to the rest?"""
    cg = tmp_path / "cg"
    write(cg / "a" / "cpu.max", "100000 100000")
    proc = proc_files(
        tmp_path,
        ["garbage", "1:cpu:", "0::/a"],
        ["31 23 0:28 / /nowhere rw", f"30 22 0:26 / {cg} rw - cgroup2 cgroup2 rw"],
    )
    assert cpu_quotas(proc) == [1.0]


def test_a_mount_of_another_part_of_the_tree_is_not_read(tmp_path):
    """Is a quota in a cgroup mount that shows another group (not ours, not above ours) left alone?"""
    cg = tmp_path / "cg"
    write(cg / "cpu.max", "50000 100000")
    proc = proc_files(tmp_path, ["0::/ours"], [f"30 22 0:26 /theirs {cg} rw - cgroup2 cgroup2 rw"])
    assert cpu_quotas(proc) == []


def run_python(code: str, **kwargs) -> str:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent,
        **kwargs,
    ).stdout.strip()


def test_an_affinity_of_one_cpu_grades_one_at_a_time():
    """With its affinity set to one CPU (taskset, a cpuset), does a process count one usable CPU?"""
    one = min(os.sched_getaffinity(0))
    code = f"import os; os.sched_setaffinity(0, {{{one}}}); from grader.sealed import cpus; print(cpus.usable_cpus())"
    assert run_python(code) == "1"


def writable_v1_cpu_hierarchy() -> Path | None:
    """Where this user may make a cgroup with a CPU quota (cgroup v1's cpu controller), or None."""
    for fstype, options, _, mount_point in cgroup_mounts():
        if fstype == "cgroup" and "cpu" in options and os.access(mount_point, os.W_OK):
            return Path(mount_point)
    return None


@pytest.mark.skipif(writable_v1_cpu_hierarchy() is None, reason="this user may not make a cgroup with a CPU quota here")
def test_a_real_cgroup_quota_of_half_a_cpu_grades_one_at_a_time():
    """In a real cgroup whose parent allows half a CPU, does a process count one usable CPU?"""
    hierarchy = writable_v1_cpu_hierarchy()
    assert hierarchy is not None
    parent = hierarchy / f"lesson2-test-{uuid.uuid4().hex[:8]}"
    inner = parent / "inner"
    inner.mkdir(parents=True)
    try:
        (parent / "cpu.cfs_quota_us").write_text("50000")
        code = (
            f"import os; open({str(inner / 'cgroup.procs')!r}, 'w').write(str(os.getpid())); "
            "from grader.sealed.cpus import usable_cpus, cpu_quotas; print(usable_cpus(), cpu_quotas())"
        )
        assert run_python(code) == "1 [0.5]"
    finally:
        inner.rmdir()
        parent.rmdir()


@pytest.mark.parametrize("jobs", ["0", "-2", "two"])
def test_a_number_of_processes_below_one_is_refused_before_anything_runs(jobs):
    """Does `grade --jobs 0` (or -2, or a word) say what --jobs takes, instead of grading nobody?"""
    ran = subprocess.run(
        [sys.executable, "-m", "grader", "--jobs", jobs, "grade"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    assert ran.returncode == 2
    assert f"argument --jobs: {jobs!r} is not a number of grading processes (1 or more)" in ran.stderr
    assert "Traceback" not in ran.stderr
