"""The sandbox: a bubblewrap boundary around the zygote, and a private namespace set for every worker.

Two layers, each enough on its own to keep the course out of reach:
- the boundary (`bwrap_command`, in the grader): the zygote and every worker it forks run under
  bubblewrap in new user, pid, network, ipc, uts and mount namespaces, as uid/gid 65534 (on the host: a
  uid of their own where the host grants one, grader/sealed/identity.py) with no capabilities and
  no_new_privs, seeing only the Python installation, the system's libraries and the
  grader's own worker-side modules read-only (never lesson_ref, grader/checks, source/, submitted/ or
  the gradebook), under the zygote's seccomp allowlist (grader/sealed/syscalls.py);
- each worker (`enter_worker_namespaces` then `confine_worker`, in a child of the zygote): its own user,
  pid, mount, network, ipc and uts namespaces (no other process to see or signal, a private /tmp, an
  empty /proc but for itself), resource limits it cannot raise, every capability dropped, not
  dumpable, and the workers' tighter seccomp allowlist: no new processes, no exec, no sockets, no
  signals, no namespaces or mounts, no ptrace.
No step needs root: an ordinary user's grader and one started as root confine students the same way.
Where the machine cannot give the boundary, `check_available` says what is missing; nothing is graded
weaker without the instructor's explicit `--unconfined`.
"""

import ctypes
import importlib.util
import json
import os
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from grader.sealed import identity

SANDBOX_UID = identity.SANDBOX_ID  # the workers' uid and gid inside the sandbox
STAGING = "/mnt"  # where the launcher mounts the shown folders, in its own mount namespace only
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's, with libseccomp's own bindings (python3-seccomp)
WAYS_OUT = (
    "Install what is missing (`make grade` and `make test` install Debian's bubblewrap and "
    "python3-seccomp), or grade in the students' own kernels with stock nbgrader "
    "(`python -m grader autograde`), or grade without the sandbox with `python -m grader grade "
    "--unconfined` (recorded in the report and the gradebook; only for code you trust)."
)


class SandboxUnavailable(RuntimeError):
    """This machine cannot confine student code; the message names the missing feature and the ways out."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one worker process (hard limits: the worker cannot raise them)."""

    cpu_seconds: int = 120
    memory_bytes: int = 3 * 2**30  # address space on top of what the process already maps
    file_bytes: int = 16 * 2**20
    open_files: int = 256
    threads: int = 8  # RLIMIT_NPROC, counted in the worker's own user namespace (torch runs one)
    scratch_bytes: int = 64 * 2**20  # the worker's private /tmp (counted apart from memory_bytes)
    shm_bytes: int = 8 * 2**20  # the worker's private /dev/shm


# -- the boundary (grader side) ------------------------------------------------------------------------

USERNS_OFF = (
    "unprivileged user namespaces are off on this machine: ask an administrator to enable them (sysctl "
    "user.max_user_namespaces > 0; kernel.unprivileged_userns_clone=1 on Debian kernels before 6.1; on "
    "Ubuntu 24.04 and later, kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile for bwrap)"
)


def check_available() -> None:
    """Raise SandboxUnavailable unless bubblewrap, user namespaces and libseccomp all work here."""
    if not sys.platform.startswith("linux"):
        raise SandboxUnavailable(f"sealed grading needs Linux namespaces; this is {sys.platform}. {WAYS_OUT}")
    if shutil.which("bwrap") is None:
        raise SandboxUnavailable(f"bubblewrap (`bwrap`) is not installed. {WAYS_OUT}")
    probe = subprocess.run(
        ["bwrap", "--unshare-all", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--ro-bind", "/", "/", "true"],
        capture_output=True,
        text=True,
        cwd="/",
    )
    if probe.returncode != 0:
        said = probe.stderr.strip() or f"exit {probe.returncode}"
        raise SandboxUnavailable(f"bubblewrap cannot create its namespaces ({said}): {USERNS_OFF}. {WAYS_OUT}")
    seccomp = subprocess.run([SYSTEM_PYTHON, "-I", "-c", "import seccomp"], capture_output=True)
    if seccomp.returncode != 0:
        missing = f"libseccomp's Python bindings for {SYSTEM_PYTHON} (Debian's python3-seccomp) are missing."
        raise SandboxUnavailable(f"{missing} {WAYS_OUT}")


def start_boundary(argv: list[str], seccomp_fd: int, pass_fds=(), wrapper=(), **popen) -> subprocess.Popen:
    """Start `argv` inside the boundary, as 65534, under the seccomp program read from seccomp_fd.

    A launcher (`launch`, a child of the grader) opens the shown folders (they may lie where the workers'
    identity cannot walk: a home folder of mode 0700), makes a user and mount namespace of its own, and
    waits while the grader maps the sandbox's 65534 there to the workers' host identity
    (grader/sealed/identity.py); then it binds the folders under a staging tmpfs, becomes 65534 and execs
    bubblewrap. Nothing changes on the host, and nothing needs root. `wrapper` goes before bwrap (strace).
    """
    who = identity.current()
    folders = shown_folders()
    staging = {path: f"{STAGING}/{i}" for i, path in enumerate(folders)}
    cmd = [*wrapper, *bwrap_command(argv, seccomp_fd, staging)]
    ready_r, ready_w = os.pipe()  # launcher -> grader: "my namespaces are made"
    go_r, go_w = os.pipe()  # grader -> launcher: "they have their ids"
    entry = f"import sys; sys.path.insert(0, {str(package_root())!r}); import grader.sealed.sandbox as s; s.launch()"
    launcher = [sys.executable, "-I", "-c", entry, json.dumps([str(f) for f in folders]), str(ready_w), str(go_r)]
    try:
        proc = subprocess.Popen([*launcher, *cmd], pass_fds=[*pass_fds, seccomp_fd, ready_w, go_r], cwd="/", **popen)
    finally:
        os.close(ready_w)
        os.close(go_r)
    try:
        if os.read(ready_r, 1) != b"u":
            raise SandboxUnavailable(f"the sandbox's launcher could not create a user namespace: {USERNS_OFF}.")
        who.map_into(proc.pid)
        os.write(go_w, b"g")
    except (SandboxUnavailable, identity.MappingFailed, OSError) as err:
        proc.kill()
        proc.wait()
        raise SandboxUnavailable(f"{err} {WAYS_OUT}") from None
    finally:
        os.close(ready_r)
        os.close(go_w)
    return proc


def launch() -> None:
    """The launcher: own user and mount namespaces; once mapped, stage the shown folders, become 65534, exec bwrap."""
    folders, ready, go, cmd = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    try:
        _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare(CLONE_NEWUSER | CLONE_NEWNS)")
    except OSError as err:
        sys.exit(f"the sandbox's launcher: {err}")
    # opened as the grader's uid (it may walk there; 65534 may not), in this mount namespace (bind needs that)
    opened = [os.open(folder, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC) for folder in folders]
    os.write(ready, b"u")
    if os.read(go, 1) != b"g":
        sys.exit(1)  # the grader could not map our ids and has said why
    os.close(ready)
    os.close(go)
    # files made here must belong to an id mapped in this namespace: the grader's own may not be (EOVERFLOW)
    _libc.setfsgid(SANDBOX_UID)
    _libc.setfsuid(SANDBOX_UID)
    _mount("none", "/", None, MS_REC | MS_PRIVATE)  # nothing below propagates back to the host
    _mount("tmpfs", STAGING, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k")
    for i, fd in enumerate(opened):
        os.mkdir(f"{STAGING}/{i}")
        _mount(f"/proc/self/fd/{fd}", f"{STAGING}/{i}", None, MS_BIND | MS_REC)
        os.close(fd)
    try:
        os.setgroups([])
    except PermissionError:
        pass  # "own" identity: the kernel denies setgroups to an unprivileged map (docs/threat-model.md)
    os.setresgid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID)
    os.setresuid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID)
    os.execvp(cmd[0], cmd)


def package_root() -> Path:
    """The folder holding the `grader` package (this repository, or site-packages for a wheel)."""
    return Path(__file__).resolve().parent.parent.parent


def python() -> str:
    """This interpreter as the boundary shows it: its folder resolved (a venv reached by a link shows resolved)."""
    return str(Path(sys.executable).parent.resolve() / Path(sys.executable).name)


def hidden_paths() -> list[Path]:
    """What the sandbox must never show although it lies inside a folder it shows: checks, reference."""
    paths = [package_root() / "grader" / "checks"]
    spec = importlib.util.find_spec("lesson_ref")
    if spec is not None and spec.submodule_search_locations:
        paths += [Path(p) for p in spec.submodule_search_locations]
    return paths


def gpu_devices() -> list[Path]:
    """The NVIDIA device nodes a CUDA worker opens: the control and UVM nodes and the first GPU only."""
    wanted = ("nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia0")
    return [Path("/dev") / name for name in wanted if (Path("/dev") / name).exists()]


def shown_folders() -> list[Path]:
    """The folders the boundary shows read-only besides /usr: the Python installation, the venv, grader/."""
    folders = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), package_root() / "grader"}
    return sorted(path for path in folders if not path.is_relative_to("/usr"))


def bwrap_command(argv: list[str], seccomp_fd: int, shown: dict[Path, str]) -> list[str]:
    """bwrap arguments that run `argv` inside the boundary; `shown`: folder -> where the launcher staged it."""
    cmd = ["bwrap", "--unshare-all", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID)]
    cmd += ["--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv"]
    cmd += ["--ro-bind", "/usr", "/usr", "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    cmd += ["--ro-bind-try", "/etc/fonts", "/etc/fonts"]
    for link in ("bin", "lib", "lib64", "sbin"):
        target = Path("/") / link
        if target.is_symlink():
            cmd += ["--symlink", os.readlink(target), str(target)]
        elif target.is_dir():
            cmd += ["--ro-bind", str(target), str(target)]
    cmd += ["--tmpfs", "/tmp"]  # first: a folder shown from under /tmp (a clone there) is bound over it
    for path, staged in shown.items():
        cmd += ["--ro-bind", staged, str(path)]
    for path in hidden_paths():
        if path.exists() and any(path.is_relative_to(p) for p in [*shown, Path("/usr")]):
            cmd += ["--tmpfs", str(path), "--remount-ro", str(path)]
    for device in gpu_devices():  # a CUDA worker needs the driver's device nodes and its view of the bus
        cmd += ["--dev-bind", str(device), str(device)]
    if gpu_devices():
        cmd += ["--ro-bind", "/sys", "/sys"]
    cmd += ["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/", "--chdir", "/tmp"]
    env = {
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "MPLCONFIGDIR": "/tmp",
        "MPLBACKEND": "Agg",
        "LANG": "C.UTF-8",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NBGRADER_EXECUTION": "autograde",
        "PATH": "/usr/bin",
    }
    for name, value in env.items():
        cmd += ["--setenv", name, value]
    return [*cmd, "--seccomp", str(seccomp_fd), "--", *argv]


# -- each worker (zygote side, in a freshly forked child) ---------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_MOVE = 0x1, 0x2, 0x4, 0x8, 0x20, 0x1000, 0x2000
MS_REC, MS_PRIVATE = 0x4000, 0x40000
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 4, 24, 38
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def enter_worker_namespaces() -> None:
    """In a child of the zygote: new user, pid, mount, net, ipc and uts namespaces (mapped to the same uid).

    The caller forks next: that grandchild is pid 1 of the new pid namespace, alone in it.
    """
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    _check(_libc.unshare(flags), "unshare")
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)


def die_with_parent() -> None:
    """SIGKILL this process when its parent dies (the zygote kills a worker by killing its parent)."""
    _check(_libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)")


def confine_worker(limits: Limits, worker_filter: bytes) -> None:
    """In the worker (pid 1 of its namespaces): private /tmp and /proc, limits, no capabilities, seccomp."""
    self_dir = os.readlink("/proc/self")  # our pid as the boundary's /proc names it
    # folders the boundary shows from under /tmp (a course cloned there): kept, read-only, over the new /tmp
    under_tmp = [p for p in shown_folders() if p.is_relative_to("/tmp") and p != Path("/tmp") and p.is_dir()]
    kept_fds = {path: os.open(path, os.O_PATH | os.O_DIRECTORY) for path in under_tmp}
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={limits.scratch_bytes},mode=0700")
    _keep_shown_folders(kept_fds)
    kept = {"self": f"/proc/{self_dir}"}  # the new /proc shows only these
    if os.path.isdir("/proc/driver/nvidia") and gpu_devices():
        kept["driver"] = "/proc/driver"  # CUDA's driver reads its parameters there
    for name, source in kept.items():
        os.mkdir(f"/tmp/.{name}")
        _mount(source, f"/tmp/.{name}", None, MS_BIND)
    _mount("tmpfs", "/proc", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555")
    for name in kept:
        os.mkdir(f"/proc/{name}")
        _mount(f"/tmp/.{name}", f"/proc/{name}", None, MS_MOVE)
        os.rmdir(f"/tmp/.{name}")
    _remount_read_only("/proc")
    if os.path.isdir("/dev/shm"):  # shared memory of its own, then /dev read-only: no place shared with others
        _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, f"size={limits.shm_bytes},mode=0700")
    _remount_read_only("/dev")
    os.chdir("/tmp")
    os.setsid()  # a session, so an autogroup, of its own: the scheduler shares the CPU per worker, not per thread
    limit_resources(limits)
    _drop_privileges()
    _load_seccomp(worker_filter)


def _keep_shown_folders(kept_fds: dict[Path, int]) -> None:
    """Bind each shown folder under /tmp (an O_PATH fd here) read-only at its own path in the private /tmp.

    The folders between /tmp and a shown one (the course folder, a parent of the venv) stand for the
    course's own: the course folder is on sys.path (package_root), so a module, sitecustomize.py or .pth
    file planted there would run as the grader's worker code. So they are never made on the writable
    scratch tmpfs: each top folder under /tmp gets a small tmpfs of its own that holds only those parents
    and turns read-only once the binds are in place; a worker writes only what shadows nothing. A shown
    folder inside another comes with it (MS_REC), as do the boundary's empty tmpfs over hidden paths.
    """
    tops: dict[Path, list[Path]] = {}
    for path in sorted(kept_fds):
        if not any(path.is_relative_to(other) for paths in tops.values() for other in paths):
            tops.setdefault(Path("/tmp", path.relative_to("/tmp").parts[0]), []).append(path)
    for top, paths in tops.items():
        os.mkdir(top, 0o755)
        if paths != [top]:  # parents to make: on a layer of their own, read-only below
            _mount("tmpfs", str(top), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k,nr_inodes=256,mode=0755")
            for path in paths:
                os.makedirs(path, 0o755)
        for path in paths:
            _mount(f"/proc/self/fd/{kept_fds[path]}", str(path), None, MS_BIND | MS_REC)
            _remount_read_only(str(path))
        if paths != [top]:
            _remount_read_only(str(top))
    for fd in kept_fds.values():
        os.close(fd)


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    result = _libc.mount(
        source.encode(), target.encode(), fstype.encode() if fstype else None, flags, data.encode() if data else None
    )
    _check(result, f"mount {target}")


def _remount_read_only(path: str) -> None:
    """Make a mount read-only, keeping its other flags (the kernel refuses to drop the locked ones)."""
    kept = os.statvfs(path).f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC | 1024 | 2048 | 4096)  # ST_* == MS_*
    _mount("none", path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | kept)


def limit_resources(limits: Limits) -> None:
    """Hard limits: raising them needs CAP_SYS_RESOURCE in the initial user namespace, which no worker has."""
    mapped = _mapped_bytes()
    for which, value in [
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_AS, mapped + limits.memory_bytes),
        (resource.RLIMIT_FSIZE, limits.file_bytes),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_NPROC, limits.threads),
        (resource.RLIMIT_CORE, 0),
    ]:
        resource.setrlimit(which, (value, value))


def _mapped_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _drop_privileges() -> None:
    """No capability (bounding, ambient, effective, permitted), no new privileges, not dumpable."""
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() != 22:  # EINVAL: no such cap
            _check(-1, "prctl(PR_CAPBSET_DROP)")
    _check(_libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "prctl(PR_CAP_AMBIENT)")
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    _check(_libc.capset(ctypes.byref(header), (_CapData * 2)()), "capset")
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
    _check(_libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl(PR_SET_DUMPABLE)")


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


def _load_seccomp(program: bytes) -> None:
    """Install a BPF program that libseccomp compiled (grader/sealed/syscalls.py); 8 bytes per instruction."""
    if not program or len(program) % 8:
        raise OSError("the workers' seccomp program is missing or malformed")
    prog = _SockFprog(len(program) // 8, program)
    _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0), "prctl(PR_SET_SECCOMP)")
