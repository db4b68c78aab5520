"""Processes for tests: the ones below a process, read from /proc; a forked worker serving a notebook."""

import os


def descendants(root: int) -> list[int]:
    """Every live process whose chain of parents reaches `root` (not `root` itself)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def forked_notebook(namespace: dict):
    """A forked child serving a real worker.Notebook (unconfined) whose namespace also holds `namespace`.

    -> (the grader's end of the socket, the child's pid); the caller closes the socket and kills the child.
    """
    import socket

    from grader.sealed import worker
    from grader.sealed.worker_end import WorkerEnd

    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        try:
            ours.close()
            notebook = worker.Notebook(None)
            notebook.ns.update(namespace)
            notebook.peer = WorkerEnd(theirs, notebook.resolve, notebook.handlers(), played=notebook.played)
            notebook.peer.serve_forever()
        finally:
            os._exit(0)
    theirs.close()
    return ours, pid
