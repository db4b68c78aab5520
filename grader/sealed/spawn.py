"""Grader side of the zygote: start it, and get sandboxed workers from it."""

import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from grader.sealed.sandbox import Limits


class Zygote:
    """The fork server process, started once per grading run; it boots while the caller goes on."""

    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-m", "grader.sealed.zygote"],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        self._address = None

    @property
    def address(self) -> str:
        """The socket to ask for workers on (waits until the zygote is ready)."""
        if self._address is None:
            line = self.proc.stdout.readline().strip()
            if not line:
                raise RuntimeError("the sandbox's zygote process did not start")
            self._address = "\0" + line
        return self._address

    def close(self):
        self.proc.kill()
        self.proc.wait()


class Worker:
    """One sandboxed worker process and the socket to it."""

    def __init__(self, address: str, limits: Limits, start_timeout: float = 30.0):
        from grader.sealed.wire import PeerGone, recv_frame  # here: importing this module must not load torch

        self.workdir = tempfile.mkdtemp(prefix="lesson2-worker-")
        ours, theirs = socket.socketpair()
        request = json.dumps({"workdir": self.workdir, "limits": dataclasses.asdict(limits)}).encode()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as control:
            control.connect(address)
            socket.send_fds(control, [request], [theirs.fileno()])
            self.pid = int(control.recv(64))
        theirs.close()
        self.sock = ours
        hello = recv_frame(ours, time.monotonic() + start_timeout)
        if hello != {"op": "ready"}:
            self.kill()
            raise PeerGone(
                str(hello.get("reason", "the worker did not start"))
                if isinstance(hello, dict)
                else "the worker did not start"
            )

    def kill(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.sock.close()
        shutil.rmtree(self.workdir, ignore_errors=True)
