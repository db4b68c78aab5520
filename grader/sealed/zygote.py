"""The zygote: a clean interpreter with torch and matplotlib imported once, forking one worker per request.

Started as `python -I -m grader.sealed.zygote`; prints the abstract socket address it listens on.
It imports nothing of lesson_ref or the hidden checks, so neither is in a worker's memory.
"""

import json
import os
import secrets
import signal
import socket
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.animation
import matplotlib.pyplot
import torch
import torch.nn.functional
from IPython import display  # noqa: F401

from grader.sealed import sandbox, worker


def warm_up() -> None:
    """Pay torch's lazy first-use costs here once, not in every worker."""
    torch.set_num_threads(1)
    a = torch.nn.Parameter(torch.ones(2))
    ((torch.ones(3, 2) @ a) ** 2).mean().backward()
    (torch.ones(2, device="meta") ** 2).mean()
    torch.randperm(4, generator=torch.Generator().manual_seed(0)).split(3)
    torch.ones(2, 3).logsumexp(1)


def main() -> None:
    warm_up()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    address = f"\0lesson2-sgd-zygote-{secrets.token_hex(8)}"
    listener.bind(address)
    listener.listen(64)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped by the kernel
    print(address[1:], flush=True)
    parent = os.getppid()
    listener.settimeout(1.0)
    while True:
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            if os.getppid() != parent:
                sys.exit(0)  # the grader died without closing us (a killed Dask worker): do not linger
            continue
        with conn:
            message, fds, _, _ = socket.recv_fds(conn, 65536, 1)
            if not message:
                sys.exit(0)  # the grader closed without a request: shut down
            request = json.loads(message)
            pid = os.fork()
            if pid == 0:
                listener.close()
                conn.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                worker_sock = socket.socket(fileno=fds[0])
                try:
                    worker.serve(worker_sock, request["workdir"], sandbox.Limits(**request["limits"]))
                finally:
                    os._exit(70)
            os.close(fds[0])
            conn.sendall(str(pid).encode())


if __name__ == "__main__":
    main()
