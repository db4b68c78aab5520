"""The zygote: inside the sandbox's boundary, a warm interpreter that forks one confined worker per request.

Started by grader.sealed.spawn.Zygote under bubblewrap as
`python -I -c ... main(CONTROL_FD, FILTER_FD, LIMITS_JSON)`. It imports torch, matplotlib and the worker
once (none of lesson_ref or the hidden checks, which the boundary does not even show), then serves its
control socket, a SOCK_SEQPACKET inherited from the grader (there is no socket anyone else could connect
to). Requests carry no paths and no limits, only descriptors:
- b"spawn" with [worker socket, reply socket]: fork a worker; its id goes back on the reply socket;
- b"kill ID": SIGKILL that worker (only a worker of ours);
- EOF: the grader is gone; exit.
"""

import gc
import json
import os
import signal
import socket
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.animation
import matplotlib.pyplot
import torch
import torch.nn.functional

from grader.sealed import sandbox, worker


def warm_up() -> None:
    """Pay torch's lazy first-use costs here once, not in every worker."""
    torch.set_num_threads(1)
    a = torch.nn.Parameter(torch.ones(2))
    ((torch.ones(3, 2) @ a) ** 2).mean().backward()
    (torch.ones(2, device="meta") ** 2).mean()
    torch.randperm(4, generator=torch.Generator().manual_seed(0)).split(3)
    torch.ones(2, 3).logsumexp(1)
    prepare = getattr(worker, "prepare", None)  # the worker module's own once-per-zygote set-up, if any
    if prepare is not None:
        prepare()


def spawn(channel, limits: sandbox.Limits, worker_filter: bytes | None, serve=None, refuse=None) -> int:
    """Fork a worker: a middle process holds new namespaces, its child (pid 1 there) runs `serve(channel)`.

    worker_filter None: unconfined (the instructor's `--unconfined`): no namespaces, no seccomp.
    serve/refuse default to the worker's protocol (tests pass probes of their own).
    """
    middle = os.fork()
    if middle:
        return middle
    code = 70
    try:
        sandbox.die_with_parent()
        if worker_filter is not None:
            sandbox.enter_worker_namespaces()
        child = os.fork()
        if child == 0:
            _run_worker(channel, limits, worker_filter, serve or worker.serve, refuse or worker.refuse)
        channel.close()
        _, status = os.waitpid(child, 0)
        code = os.waitstatus_to_exitcode(status) & 0xFF
    finally:
        os._exit(code)


def _run_worker(channel, limits, worker_filter, serve, refuse) -> None:
    try:
        sandbox.die_with_parent()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # direct writes to the real stdout/stderr go nowhere
            os.dup2(devnull, fd)
        os.closerange(3, channel.fileno())  # nothing of the zygote's stays open: only the channel
        os.closerange(channel.fileno() + 1, 1 << 16)
        if worker_filter is None:
            os.chdir(tempfile.mkdtemp(prefix="lesson2-unconfined-"))
            sandbox.limit_resources(limits)
        else:
            sandbox.confine_worker(limits, worker_filter)
    except BaseException as err:  # no student code runs unconfined: say why and stop
        refuse(channel, f"the sandbox could not be set up: {type(err).__name__}: {err}")
        os._exit(71)
    try:
        serve(channel)
    finally:
        os._exit(70)


def _reap(workers: set[int]) -> None:
    """Collect exited middle processes; only then may their pids be reused (so `kill` never hits a stranger)."""
    while workers:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        workers.discard(pid)


def main(control_fd: int, filter_fd: int, limits_json: str, confined: bool = True) -> None:
    limits = sandbox.Limits(**json.loads(limits_json))
    with os.fdopen(filter_fd, "rb") as f:
        worker_filter = f.read() if confined else None
    control = socket.socket(fileno=control_fd)
    warm_up()
    # what the zygote holds now is never garbage: frozen out of the collector's sight, it is not walked by a
    # worker's collections, so its pages stay shared with the zygote instead of being copied one by one
    gc.freeze()
    control.send(b"ready")
    workers: set[int] = set()  # live (or zombie) middle processes: a pid here cannot have been reused
    while True:
        message, fds, _, _ = socket.recv_fds(control, 64, 2)
        _reap(workers)
        if not message:
            sys.exit(0)  # the grader closed the control socket: shut down
        if message == b"spawn" and len(fds) == 2:
            worker_sock, reply = socket.socket(fileno=fds[0]), socket.socket(fileno=fds[1])
            middle = spawn(worker_sock, limits, worker_filter)
            workers.add(middle)
            worker_sock.close()
            try:
                reply.send(str(middle).encode())
            except OSError:
                pass
            reply.close()
        elif message.startswith(b"kill ") and message[5:].isdigit():
            for fd in fds:
                os.close(fd)
            middle = int(message[5:])
            if middle in workers:
                workers.discard(middle)
                try:
                    os.kill(middle, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        else:
            for fd in fds:
                os.close(fd)
