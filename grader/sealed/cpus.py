"""How many submissions to grade at once: the CPUs this process may use, not the machine's core count.

A shared teaching server caps an instructor's CPUs by affinity (a cpuset) or by a cgroup's CPU quota (a
JupyterHub pod's cpu_limit, a systemd unit's or slice's CPUQuota=). One grading per host core there would
crowd dozens of gradings onto a few CPUs: slower in all, and their wall-clock limits (a cell, a call, a
submission) would start failing honest code. Read here from /proc and the cgroup files, both hierarchies,
every level of the group's path (a quota on a parent slice holds for all below it).
"""

import math
import os
import re
from pathlib import Path


def usable_cpus(proc: Path = Path("/proc/self")) -> int:
    """The fewest of the CPUs this process's affinity allows and each CPU quota above it, rounded up; >= 1."""
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    for quota in cpu_quotas(proc):
        count = min(count, math.ceil(quota))
    return max(1, count)


def cpu_quotas(proc: Path = Path("/proc/self")) -> list[float]:
    """The CPU quotas, in CPUs, on this process's cgroup and each of its ancestors (cgroup v2 and v1)."""
    try:
        groups = (proc / "cgroup").read_text().splitlines()
        mounts = cgroup_mounts(proc)
    except OSError:
        return []
    quotas = []
    for line in groups:
        hierarchy, controllers, path = [*line.split(":", 2), "", ""][:3]
        v2 = hierarchy == "0" and not controllers
        if not path.startswith("/") or (not v2 and "cpu" not in controllers.split(",")):
            continue
        for fstype, options, root, mount_point in mounts:
            if fstype != ("cgroup2" if v2 else "cgroup") or (not v2 and "cpu" not in options):
                continue
            below = os.path.relpath(path, root)
            if below == ".." or below.startswith("../"):
                continue  # this mount shows another part of the tree
            group, top = Path(os.path.normpath(Path(mount_point) / below)), Path(mount_point)
            while True:
                quota = _quota(group, v2)
                if quota is not None:
                    quotas.append(quota)
                if group == top or top not in group.parents:
                    break
                group = group.parent
    return quotas


def cgroup_mounts(proc: Path = Path("/proc/self")) -> list[tuple[str, list[str], str, str]]:
    """(fstype, super options, root, mount point) of each cgroup and cgroup2 mount in mountinfo (proc(5))."""
    mounts = []
    for line in (proc / "mountinfo").read_text().splitlines():
        fields = line.split()
        if "-" not in fields[6:]:
            continue
        dash = fields.index("-", 6)
        if len(fields) >= dash + 4 and fields[dash + 1] in ("cgroup", "cgroup2"):
            mounts.append((fields[dash + 1], fields[dash + 3].split(","), _unescape(fields[3]), _unescape(fields[4])))
    return mounts


def _unescape(text: str) -> str:
    """A mountinfo path with its octal escapes (a space is \\040) undone."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), text)


def _quota(group: Path, v2: bool) -> float | None:
    """The group's own CPU quota in CPUs, or None (no limit, or no such file)."""
    try:
        if v2:
            quota, period = (group / "cpu.max").read_text().split()[:2]
            return None if quota == "max" else int(quota) / int(period)
        quota = int((group / "cpu.cfs_quota_us").read_text())
        return None if quota < 0 else quota / int((group / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError, ZeroDivisionError):
        return None
