"""Confine the current process before it runs student code (Linux, no containers needed).

What it does, in this order, all irreversible for the process:
- resource limits: CPU seconds, address space, file size, open files, no core dumps;
- Landlock: read-only access to the Python installation and system libraries, read-write access to the
  worker's own empty directory, nothing else (not this repository: no lesson_ref, grader, source/,
  gradebook.db);
- seccomp: no new processes (fork, vfork, non-thread clone, exec), no signals to other processes, no
  ptrace or process_vm_*, no sockets (no network);
- every Linux capability dropped (no mount, reboot, module loading, raw I/O, ... even as root).
"""

import ctypes
import errno
import os
import resource
import sys
from dataclasses import dataclass

import landlock
import pyseccomp as sc

CLONE_THREAD = 0x00010000
READ_FILE = landlock.FSAccess.EXECUTE | landlock.FSAccess.READ_FILE
READ = READ_FILE | landlock.FSAccess.READ_DIR  # a rule on a single file may hold file rights only
WRITE_FILE = landlock.FSAccess.WRITE_FILE | landlock.FSAccess.TRUNCATE
DENIED_SYSCALLS = [
    "fork",
    "vfork",
    "execve",
    "execveat",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "socket",
    "socketpair",
    "tkill",
    "pidfd_open",
    "pidfd_send_signal",
    "pidfd_getfd",
]


@dataclass(frozen=True)
class Limits:
    """Resource limits of one worker process."""

    cpu_seconds: int = 120
    memory_bytes: int = 3 * 2**30  # address space on top of what the process already maps
    file_bytes: int = 16 * 2**20
    open_files: int = 256


def readable_roots() -> list[str]:
    """Where the worker may read: the Python installation and the system's libraries."""
    roots = {
        sys.base_prefix,
        sys.prefix,
        "/usr",
        "/lib",
        "/lib64",
        "/etc",
        "/proc/cpuinfo",
        "/sys/devices/system/cpu",
        f"/proc/{os.getpid()}",
    }
    roots |= {p for p in sys.path if p.endswith("site-packages")}
    if os.path.exists("/dev/nvidiactl"):  # a CUDA worker needs the driver's files
        roots |= {"/sys", "/proc/driver"}
    return sorted(r for r in roots if os.path.exists(r))


def confine(workdir: str, limits: Limits) -> None:
    """Apply every restriction above to this process. Raises if the kernel cannot."""
    _limit_resources(limits)
    ruleset = landlock.Ruleset()
    for root in readable_roots():
        ruleset.allow(root, rules=READ if os.path.isdir(root) else READ_FILE)
    ruleset.allow(workdir)
    devices = ["/dev/null"] + [f"/dev/{d}" for d in os.listdir("/dev") if d.startswith("nvidia")]
    ruleset.allow(*devices, rules=READ_FILE | WRITE_FILE)
    ruleset.apply()
    _filter_syscalls()
    _drop_capabilities()


def _limit_resources(limits: Limits) -> None:
    mapped = _mapped_bytes()
    for which, value in [
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_AS, mapped + limits.memory_bytes),
        (resource.RLIMIT_FSIZE, limits.file_bytes),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_CORE, 0),
    ]:
        resource.setrlimit(which, (value, value))


def _mapped_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _filter_syscalls() -> None:
    me = os.getpid()
    rules = sc.SyscallFilter(defaction=sc.ALLOW)
    for name in DENIED_SYSCALLS:
        rules.add_rule(sc.ERRNO(errno.EPERM), name)
    rules.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")  # glibc then falls back to clone, checked below
    rules.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_THREAD, 0))
    rules.add_rule(sc.ERRNO(errno.EPERM), "kill", sc.Arg(0, sc.NE, me))
    rules.add_rule(sc.ERRNO(errno.EPERM), "tgkill", sc.Arg(0, sc.NE, me))
    rules.load()


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _drop_capabilities() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    if libc.capset(ctypes.byref(header), (_CapData * 2)()) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")
