"""The sandboxed worker: runs a student's notebook cells and serves the grader's calls into them.

Runs in a child forked from the zygote, after sandbox.confine(): nothing of lesson_ref or the hidden
checks is in this process or readable from it.
"""

import ast
import builtins
import io
import os
import sys
import traceback
import types

from grader.sealed import sandbox
from grader.sealed.wire import Peer, PeerGone, recv_frame, send_frame
from grader.verdict import HiddenChecksFailed, show_verdict

MAX_CELL_OUTPUT = 64 * 1024  # characters of stdout/stderr kept per cell


class _Stream(io.TextIOBase):
    """sys.stdout / sys.stderr of a cell: text goes into the cell's events, up to a limit."""

    def __init__(self, name, events, budget):
        self.name, self.events, self.budget = name, events, budget

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        room = MAX_CELL_OUTPUT - self.budget[0]
        if room > 0:
            self.events.append((self.name, text[:room]))
            self.budget[0] += min(len(text), room)
        return len(text)


class Notebook:
    """The student's namespace and the cells that fill it."""

    def __init__(self, peer: Peer):
        self.peer = peer
        self.ns = {"__name__": "__main__", "__builtins__": builtins}
        self.patches = {}
        hidden = types.ModuleType("grader.hidden")
        hidden.award = self.award
        hidden.HiddenChecksFailed = HiddenChecksFailed
        sys.modules["grader.hidden"] = hidden  # what the restored hidden test cells import

    def award(self, function, namespace=None):
        """The hidden cell's call: the grader runs the checks through this worker and says the verdict."""
        verdict = self.peer.request({"op": "grade", "function": str(function)})
        return show_verdict(float(verdict["points"]), str(verdict["message"]))

    def run(self, message):
        """Run the cells in order (skipping some); return each cell's events."""
        results = []
        skip = set(message["skip"])
        for index, source in message["cells"]:
            if index in skip:
                continue
            self.peer.request({"op": "cell_start", "index": index})
            results.append({"index": index, "events": self.run_cell(index, source)})
        return results

    def run_cell(self, index, source):
        events = []
        saved = sys.stdout, sys.stderr, sys.displayhook
        budget = [0]  # characters written by this cell so far, both streams
        sys.stdout, sys.stderr = _Stream("stdout", events, budget), _Stream("stderr", events, budget)
        sys.displayhook = lambda value: value is None or events.append(("result", _text(value)))
        try:
            tree = ast.parse(source, filename=f"<cell {index}>")
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            exec(compile(tree, f"<cell {index}>", "exec"), self.ns)
            if last is not None:
                value = eval(compile(ast.Expression(last.value), f"<cell {index}>", "eval"), self.ns)
                sys.displayhook(value)
        except BaseException as err:  # SystemExit and KeyboardInterrupt too: the notebook goes on
            tb = "".join(traceback.format_exception(type(err), err, err.__traceback__)[-8:])
            events.append(("error", type(err).__name__, str(err)[:4000], tb[-8000:]))
        finally:
            sys.stdout, sys.stderr, sys.displayhook = saved
        return events

    def resolve(self, target):
        name = str(target.get("name"))
        fn = self.ns.get(name)
        if not callable(fn):
            raise NameError(f"`{name}` is not defined: run the cell that defines it before this test.")
        return fn

    def patch(self, message):
        """Point names that a student function looks up as globals at grader callbacks, until unpatched."""
        scope = getattr(self.resolve({"name": message["function"]}), "__globals__", None)
        if not isinstance(scope, dict):
            raise TypeError(f"`{message['function']}` must be a plain `def` function.")
        replacements = self.peer.decode(message["globals"], [])
        missing = object()
        token = len(self.patches) + 1
        self.patches[token] = (scope, {name: scope.get(name, missing) for name in replacements}, missing)
        scope.update(replacements)
        return token

    def unpatch(self, message):
        scope, saved, missing = self.patches.pop(int(message["token"]))
        for name, value in saved.items():
            if value is missing:
                scope.pop(name, None)
            else:
                scope[name] = value


def _text(value) -> str:
    try:
        return repr(value)[:10000]
    except BaseException as err:
        return f"<repr failed: {type(err).__name__}>"


def serve(sock, workdir: str, limits: sandbox.Limits) -> None:
    """Confine this process, then answer the grader until it says exit or goes away."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # direct writes to the real stdout/stderr go nowhere
        os.dup2(devnull, fd)
    os.chdir(workdir)
    os.environ.update(HOME=workdir, TMPDIR=workdir, MPLCONFIGDIR=workdir, NBGRADER_EXECUTION="autograde")
    try:
        sandbox.confine(workdir, limits)
    except Exception as err:  # no student code runs unconfined: say why and stop
        send_frame(sock, {"op": "failed", "reason": f"the sandbox could not be set up: {type(err).__name__}: {err}"})
        os._exit(71)
    notebook = Notebook(None)
    peer = Peer(sock, side=-1, resolve=notebook.resolve)
    notebook.peer = peer
    peer.extra_handlers.update(
        run=notebook.run, patch=notebook.patch, unpatch=notebook.unpatch, exit=lambda message: os._exit(0)
    )
    send_frame(sock, {"op": "ready"})
    try:
        while True:
            peer.serve_one(recv_frame(sock, None))
    except PeerGone:
        os._exit(0)
