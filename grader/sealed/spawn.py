"""Grader side of the sandbox: start the zygote inside its boundary, and get confined workers from it."""

import dataclasses
import json
import os
import socket
import subprocess
import tempfile
import threading
import time

from grader.sealed import sandbox
from grader.sealed.sandbox import Limits

POLICY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "syscalls.py")


def seccomp_programs(allow_all: bool = False) -> tuple[bytes, bytes]:
    """(zygote's, workers') seccomp BPF programs, compiled by libseccomp from grader/sealed/syscalls.py.

    allow_all: programs that deny nothing, only for measuring what the workers use (benchmarks/).
    """
    with tempfile.TemporaryDirectory(prefix="lesson2-seccomp-") as folder:
        outs = [os.path.join(folder, name) for name in ("zygote.bpf", "worker.bpf")]
        flags = ["--allow-all"] if allow_all else []
        proc = subprocess.run([sandbox.SYSTEM_PYTHON, "-I", POLICY, *outs, *flags], capture_output=True, text=True)
        if proc.returncode != 0:
            reason = f"libseccomp could not compile the syscall allowlist: {proc.stderr[-500:]}"
            raise sandbox.SandboxUnavailable(reason)
        return tuple(open(path, "rb").read() for path in outs)


def _memfd(data: bytes, name: str) -> int:
    fd = os.memfd_create(name, 0)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


class Zygote:
    """The fork server, started once per grading run inside the sandbox's boundary; boots while the caller goes on.

    `unconfined=True` (the instructor's explicit `--unconfined`) runs it as a plain process, without the
    boundary or the workers' namespaces and seccomp; everything else is the same.
    """

    def __init__(self, limits: Limits | None = None, unconfined: bool = False, _allow_all_syscalls: bool = False):
        self.limits = limits or Limits()
        self.unconfined = unconfined
        if not unconfined:
            sandbox.check_available()
            zygote_filter, worker_filter = seccomp_programs(_allow_all_syscalls)
        else:
            zygote_filter, worker_filter = b"", b""
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        filter_fd = _memfd(worker_filter, "worker-seccomp")
        entry = (
            f"import sys; sys.path.insert(0, {str(sandbox.package_root())!r}); "
            "from grader.sealed.zygote import main; "
            f"main({theirs.fileno()}, {filter_fd}, {json.dumps(dataclasses.asdict(self.limits))!r}, "
            f"confined={not unconfined})"
        )
        argv = [sandbox.python(), "-I", "-c", entry]
        fds = [theirs.fileno(), filter_fd]
        self._log = tempfile.TemporaryFile()  # the zygote's own stderr (workers write nowhere)
        streams = {"stdin": subprocess.DEVNULL, "stdout": self._log, "stderr": self._log}
        if unconfined:
            self.proc = subprocess.Popen(argv, pass_fds=fds, **streams)
        else:
            seccomp_fd = _memfd(zygote_filter, "zygote-seccomp")
            self.proc = sandbox.start_boundary(argv, seccomp_fd, fds, **streams)
            fds.append(seccomp_fd)
        for fd in fds:
            os.close(fd)
        self._ready = False
        self._lock = threading.Lock()  # one request at a time per process (forked graders have their own)

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Block until the zygote has warmed up; raise with its error output if it died instead."""
        if self._ready:
            return
        self.control.settimeout(timeout)
        try:
            message = self.control.recv(64)
        except TimeoutError:
            message = b""
        self.control.settimeout(None)
        if message != b"ready":
            self.proc.kill()
            self.proc.wait()
            self._log.seek(0)
            err = self._log.read().decode(errors="replace")[-2000:]
            raise sandbox.SandboxUnavailable(f"the sandbox's zygote did not start:\n{err}")
        self._ready = True

    def spawn(self) -> tuple[socket.socket, int]:
        """A new confined worker: (the grader's end of its socket, its id for `kill`)."""
        self.wait_ready()
        ours, theirs = socket.socketpair()
        reply_ours, reply_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with self._lock:
            socket.send_fds(self.control, [b"spawn"], [theirs.fileno(), reply_theirs.fileno()])
        theirs.close()
        reply_theirs.close()
        reply_ours.settimeout(30)
        try:
            ident = int(reply_ours.recv(64))
        except (OSError, ValueError):
            ours.close()
            raise sandbox.SandboxUnavailable("the sandbox's zygote did not answer a worker request") from None
        finally:
            reply_ours.close()
        return ours, ident

    def kill(self, ident: int) -> None:
        """SIGKILL one worker (the zygote checks it is one of its own)."""
        with self._lock:
            try:
                self.control.send(f"kill {ident}".encode())
            except OSError:
                pass  # the zygote is gone, and its workers with it

    def close(self):
        self.control.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Worker:
    """One confined worker process and the socket to it."""

    def __init__(self, zygote: Zygote, start_timeout: float = 30.0):
        from grader.sealed.frames import PeerGone, recv_frame  # here: importing this module must not load torch

        self.zygote = zygote
        self.sock, self.ident = zygote.spawn()
        hello = recv_frame(self.sock, time.monotonic() + start_timeout)
        if hello != {"op": "ready"}:
            self.kill()
            reason = hello.get("reason", "the worker did not start") if isinstance(hello, dict) else None
            raise PeerGone(str(reason or "the worker did not start"))

    def kill(self):
        self.zygote.kill(self.ident)
        self.sock.close()
