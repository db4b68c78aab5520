"""The sandboxed worker: runs a student's notebook cells as Jupyter does and serves the grader's calls into them.

Runs in a child forked from the zygote, confined: nothing of lesson_ref or the hidden checks is in this
process or readable from it, nor any text of the instructor's notebook that the release does not show: a
grade cell comes in its release form, and its hidden part (the call that shows the function's verdict) is
answered by the grader when the cell's own code has run. Cells run in an IPython InteractiveShell (magics,
`!` lines, display(), the inline matplotlib backend, execution counts); each cell's outputs come back as
nbformat v4 output dicts, as nbclient stores them from a kernel's messages.
"""

import ast
import base64
import builtins
import contextlib
import getpass
import json
import os
import sys
import tempfile
import types

import IPython  # noqa: F401  (the zygote preloads IPython by importing this module)
from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.error import StdinNotImplementedError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.text import SList
from traitlets.config import Config

from grader.sealed.frames import send_frame
from grader.sealed.worker_end import WorkerEnd
from grader.stand_in import Recorded
from grader.verdict import HiddenChecksFailed, show_verdict

MAX_CELL_OUTPUT = 64 * 1024  # characters of stdout/stderr kept per cell
MAX_CELL_RICH = 4 * 2**20  # characters of display data (images as base64) kept per cell
MAX_NOTEBOOK_OUTPUT = 24 * 2**20  # characters of all outputs of a notebook: the reply stays one frame
MAX_ONE_OUTPUT = 900_000  # characters of one output's data: its JSON stays one protocol string (1 MiB)
MAX_ERROR_TEXT = 20_000  # characters of an error's value and of each traceback entry
GRADER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # tracebacks skip its frames
NO_PROGRAMS = "no program can be started while the notebook is graded (sandbox)"
NO_PROGRAMS_EXIT = 126  # what a shell says of a command it cannot execute


class _Outputs:
    """One cell's outputs as nbclient stores them from a kernel: v4 output dicts.

    As ipykernel buffers stdout and stderr, and each flush (before any other output, at the end of the cell,
    on sys.stdout.flush()) sends one stream message, the writes to a stream between two flushes make one
    stream output.
    """

    def __init__(self, displays: dict, left: list[int]):
        self.left = left  # characters the notebook's outputs may still take ([n], shared by its cells)
        self.items: list[dict] = []
        self.displays = displays  # display_id -> its outputs in any cell (update_display changes them)
        self.pending = {"stdout": [], "stderr": []}  # written since the last flush
        self.stream_chars = self.rich_chars = 0
        self.clear_pending = False

    def _add(self, output: dict) -> dict:
        if self.clear_pending:
            self.items.clear()
            self.clear_pending = False
        self.items.append(output)
        return output

    def stream(self, name: str, text: str) -> None:
        room = min(MAX_CELL_OUTPUT - self.stream_chars, self.left[0])
        if room > 0 and text:
            self.pending[name].append(text[:room])
            self.stream_chars += min(len(text), room)
            self.left[0] -= min(len(text), room)

    def flush(self, *names: str) -> None:
        """What was written to these streams (both, stdout first, by default) becomes one output each."""
        for name in names or ("stdout", "stderr"):
            parts = self.pending[name]
            if parts:
                self._add({"output_type": "stream", "name": name, "text": "".join(parts)})
                parts.clear()

    def rich(self, output_type: str, data: dict, metadata: dict | None, **extra) -> dict | None:
        self.flush()
        data = _json_data(data)
        size = sum(len(v) if isinstance(v, str) else len(json.dumps(v)) for v in data.values())
        if size > MAX_ONE_OUTPUT or self.rich_chars + size > MAX_CELL_RICH or size > self.left[0]:
            self.stream("stdout", f"[an output of {size} characters was left out: over the grader's output limit]\n")
            return None
        self.rich_chars += size
        self.left[0] -= size
        return self._add({"output_type": output_type, "data": data, "metadata": _json_data(metadata or {}), **extra})

    def error(self, ename: str, evalue: str, traceback: list[str]) -> None:
        self.flush()
        if len(traceback) > 20:  # the first frames and the last ones (where it was raised, and what)
            traceback = [*traceback[:10], "...", *traceback[-10:]]
        traceback = [line[:MAX_ERROR_TEXT] for line in traceback]
        self._add(
            {"output_type": "error", "ename": ename[:200], "evalue": evalue[:MAX_ERROR_TEXT], "traceback": traceback}
        )

    def clear(self, wait: bool) -> None:
        """clear_output(): at once, or (wait=True) when the next output comes, as nbclient does."""
        self.flush()
        self.clear_pending = wait
        if not wait:
            self.items.clear()
        self.stream_chars = self.rich_chars = 0


def _json_data(bundle: dict) -> dict:
    """A mime bundle as JSON keeps it: bytes (PNG, JPEG) as base64 text, as ipykernel sends them."""
    clean = {}
    for key, value in bundle.items():
        if isinstance(value, (bytes, bytearray)):
            value = base64.b64encode(value).decode("ascii")
        clean[str(key)] = value
    return json.loads(json.dumps(clean, default=repr))


class _Stream:
    """sys.stdout / sys.stderr while a cell runs: text goes to the cell's outputs, up to a limit."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, name: str, shell: "_Shell"):
        self.name, self.shell = name, shell

    def write(self, text) -> int:
        text = str(text)
        if self.shell.outputs is not None:
            self.shell.outputs.stream(self.name, text)
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self.shell.outputs is not None:
            self.shell.outputs.flush(self.name)

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return False


class _DisplayHook(DisplayHook):
    """A cell's value -> an execute_result output, with the cell's execution count."""

    def start_displayhook(self):
        self._bundle = None

    def write_output_prompt(self):
        pass

    def write_format_data(self, format_dict, md_dict=None):
        self._bundle = (format_dict, md_dict)

    def finish_displayhook(self):
        if self._bundle and self._bundle[0] and self.shell.outputs is not None:
            data, metadata = self._bundle
            self.shell.outputs.rich("execute_result", data, metadata, execution_count=self.prompt_count)
        self._bundle = None


class _DisplayPublisher(DisplayPublisher):
    """display() -> display_data outputs; update_display() changes the outputs with that display_id."""

    def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
        outputs = self.shell.outputs
        if outputs is None:
            return
        display_id = (transient or {}).get("display_id")
        if update:
            for output in outputs.displays.get(display_id, []):
                output["data"], output["metadata"] = _json_data(data), _json_data(metadata or {})
            return
        output = outputs.rich("display_data", data, metadata)
        if output is not None and display_id is not None:
            outputs.displays.setdefault(display_id, []).append(output)

    def clear_output(self, wait=False):
        if self.shell.outputs is not None:
            self.shell.outputs.clear(wait)


class _Shell(InteractiveShell):
    """IPython as a Jupyter kernel runs it, its outputs kept as nbclient keeps them, and no programs run."""

    displayhook_class = _DisplayHook
    display_pub_class = _DisplayPublisher
    outputs: _Outputs | None = None

    def ask_exit(self):
        """exit() in a kernel asks the front end to close it; nbclient ignores that, the notebook goes on."""

    def enable_gui(self, gui=None):
        """No GUI event loop in a kernel: only the inline backend (or a failing other one) is left."""
        if gui not in (None, "inline"):
            raise RuntimeError(f"the {gui!r} GUI event loop is not available while grading")

    def _showtraceback(self, etype, evalue, stb):
        if self.outputs is not None:
            self.outputs.error(etype.__name__, _safe_str(evalue), list(stb))

    def _get_exc_info(self, exc_tuple=None):
        """The exception with the grader's own frames cut out: a traceback names the student's cells only."""
        etype, value, tb = super()._get_exc_info(exc_tuple)
        return etype, value, _without_grader_frames(tb)

    def system_piped(self, cmd):
        """A `!` line: no program can start here, so it fails as a shell line that cannot run (cell goes on)."""
        command = self.var_expand(cmd, depth=1)
        sys.stdout.write(f"{command.split()[0] if command.split() else command}: {NO_PROGRAMS}\r\n")  # a pty's
        sys.stdout.flush()
        self.user_ns["_exit_code"] = NO_PROGRAMS_EXIT

    system_raw = system = system_piped

    def getoutput(self, cmd, split=True, depth=0):
        """`x = !cmd`: the output a failing command gives (its error message)."""
        command = self.var_expand(cmd, depth=depth + 1)
        return SList([f"{command.split()[0] if command.split() else command}: {NO_PROGRAMS}"])


def _no_input(name: str):
    """input() and getpass() as in a kernel that nbclient runs: no front end answers input requests."""

    def refuse(*args, **kwargs):
        raise StdinNotImplementedError(f"{name} was called, but this frontend does not support input requests.")

    return refuse


def _safe_str(value) -> str:
    try:
        return str(value)
    except BaseException as err:
        return f"<str() failed: {type(err).__name__}>"


def _without_grader_frames(tb):
    """The traceback without frames of the grader's own files (the cells' frames stay, in order)."""
    frames = []
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(GRADER_DIR):
            frames.append(tb)
        tb = tb.tb_next
    rebuilt = None
    for frame in reversed(frames):
        rebuilt = types.TracebackType(rebuilt, frame.tb_frame, frame.tb_lasti, frame.tb_lineno)
    return rebuilt


_shell: _Shell | None = None


def prepare() -> _Shell:
    """Create the IPython shell once (the zygote calls this before forking; a worker inherits it).

    History is off and IPython's own folder is a throwaway one, removed at once: nothing is written to
    ~/.ipython. The inline matplotlib backend is on, as in a Jupyter kernel.
    """
    global _shell
    if _shell is not None:
        return _shell
    config = Config()
    config.HistoryManager.enabled = False
    config.HistoryAccessor.enabled = False
    config.InteractiveShell.colors = "neutral"  # the ANSI colours of tracebacks from ipykernel
    config.InteractiveShell.autocall = 0
    config.InteractiveShell.xmode = "Context"
    with tempfile.TemporaryDirectory(prefix="lesson2-ipython-") as ipython_dir:
        shell = _Shell.instance(config=config, ipython_dir=ipython_dir)
    shell.set_hook("show_in_pager", _pager, 99)  # `obj?` goes to a kernel's pager payload, not the cell
    shell.enable_matplotlib("inline")
    _shell = shell
    return shell


@contextlib.contextmanager
def _images_off(shell):
    """Within the block, displays (figures too) are formatted as text only: no PNG is drawn for outputs that the
    grader will not show (the graded run's outputs after the first hidden check; feedback comes from another run)."""
    formatters = [f for mime, f in shell.display_formatter.formatters.items() if not mime.startswith("text/")]
    enabled = [f.enabled for f in formatters]
    for formatter in formatters:
        formatter.enabled = False
    try:
        yield
    finally:
        for formatter, was in zip(formatters, enabled, strict=True):
            formatter.enabled = was


class _VerdictAtTheEnd(ast.NodeTransformer):
    """Ends a grade cell with a call that shows its function's verdict, where the hidden tests' call stood.

    The call is a node, not text: no hidden test source is ever in the worker, and a traceback through it
    names the cell's line past its release text, with no source to quote.
    """

    def __init__(self, name: str, line: int):
        self.name, self.line = name, line

    def visit_Module(self, node):
        call = ast.Expr(ast.Call(ast.Name(self.name, ast.Load()), [], []))
        for part in ast.walk(call):
            part.lineno = part.end_lineno = self.line
            part.col_offset = part.end_col_offset = 0
        node.body.append(call)
        return node


VERDICT_NAME = "__grade_cell_verdict__"  # bound in the namespace only while its grade cell runs


def _pager(self, data, start=0, screen_lines=0, pager_cmd=None):
    """In a kernel, help (`obj?`) is a pager payload that nbclient does not store: nothing reaches the cell."""


class Notebook:
    """The student's IPython shell and the cells that fill its namespace."""

    def __init__(self, peer: WorkerEnd | None):
        self.peer = peer
        self.shell = prepare()
        self.shell.ipython_dir = os.getcwd()  # the worker's scratch folder, should anything be written
        self.ns = self.shell.user_ns
        self.displays: dict = {}
        self.output_left = [MAX_NOTEBOOK_OUTPUT]
        self.patches = {}
        hidden = types.ModuleType("grader.hidden")
        hidden.award = self.award
        hidden.HiddenChecksFailed = HiddenChecksFailed
        sys.modules["grader.hidden"] = hidden  # for a notebook that imports it itself: award() asks the grader

    def award(self, function, namespace=None):
        """A grade cell's verdict: the grader runs the checks through this worker and says the verdict."""
        verdict = self.peer.request({"op": "grade", "function": str(function)})
        return show_verdict(float(verdict["points"]), str(verdict["message"]))

    def run(self, message):
        """Run the cells in order (skipping some). -> each cell's index, execution count and outputs (JSON each).

        An empty cell is not run and takes no execution count, as in nbclient; a grade cell (`grade_cells`:
        [index, function] pairs) always runs, as its instructor version holds the hidden tests.
        """
        results = []
        skip = set(message["skip"])
        images_after = message.get("images_after")
        grade_cells = {int(index): str(fn) for index, fn in message.get("grade_cells", [])}
        for index, source in message["cells"]:
            if index in skip:
                continue
            if not str(source).strip() and index not in grade_cells:
                results.append({"index": index, "execution_count": None, "outputs": []})
                continue
            self.peer.request({"op": "cell_start", "index": index})
            unseen = images_after is not None and index > images_after
            with _images_off(self.shell) if unseen else contextlib.nullcontext():
                count, outputs = self.run_cell(str(source), grade_cells.get(index))
            results.append({"index": index, "execution_count": count, "outputs": [json.dumps(o) for o in outputs]})
        return results

    def run_cell(self, source: str, graded: str | None = None) -> tuple[int, list[dict]]:
        """Run one cell as a kernel's execute request. -> (its execution count, its outputs).

        graded: the function whose verdict the cell ends with (a grade cell, in its release form).
        """
        shell = self.shell
        if graded is not None:
            ending = _VerdictAtTheEnd(VERDICT_NAME, len(source.splitlines()) + 1)
            shell.ast_transformers.append(ending)
            self.ns[VERDICT_NAME] = lambda: self.award(graded)
            try:
                return self.run_cell(source)
            finally:
                self.ns.pop(VERDICT_NAME, None)
                with contextlib.suppress(ValueError):
                    shell.ast_transformers.remove(ending)
        outputs = shell.outputs = _Outputs(self.displays, self.output_left)
        count = shell.execution_count
        saved = sys.stdout, sys.stderr, builtins.input, getpass.getpass
        sys.stdout, sys.stderr = _Stream("stdout", shell), _Stream("stderr", shell)
        builtins.input, getpass.getpass = _no_input("raw_input"), _no_input("getpass")
        try:
            shell.run_cell(source, store_history=True)
        except BaseException as err:  # IPython's own machinery failed (it catches the cell's errors itself)
            outputs.error(type(err).__name__, _safe_str(err), [f"{type(err).__name__}: {_safe_str(err)}"])
            shell.execution_count = count + 1
        finally:
            sys.stdout, sys.stderr, builtins.input, getpass.getpass = saved
            shell.outputs = None
        outputs.flush()
        outputs.clear_pending = False
        return count, outputs.items

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
        played = message.get("played", [])
        if type(played) is not list or not all(type(name) is str for name in played):
            raise TypeError("the names to play must be a list of strings")
        stand_ins = {name: Recorded() for name in played}  # grader/stand_in.py: recorded here, replayed there
        replacements.update(stand_ins)
        missing = object()
        token = len(self.patches) + 1
        self.patches[token] = (scope, {name: scope.get(name, missing) for name in replacements}, missing, stand_ins)
        scope.update(replacements)
        return token

    def unpatch(self, message):
        """Restore the globals; -> each played stand-in's recorded calls."""
        scope, saved, missing, stand_ins = self.patches.pop(int(message["token"]))
        for name, value in saved.items():
            if value is missing:
                scope.pop(name, None)
            else:
                scope[name] = value
        return {name: stand_in.calls for name, stand_in in stand_ins.items()}


def refuse(sock, reason: str) -> None:
    """Tell the grader this worker will run nothing, and why (its confinement failed)."""
    send_frame(sock, {"op": "failed", "reason": reason})


def serve(sock) -> None:
    """Answer the grader until it says exit or goes away (called confined, in the worker's scratch folder)."""
    os.environ.update(HOME=os.getcwd(), TMPDIR=os.getcwd(), MPLCONFIGDIR=os.getcwd(), NBGRADER_EXECUTION="autograde")
    notebook = Notebook(None)
    handlers = {"run": notebook.run, "patch": notebook.patch, "unpatch": notebook.unpatch}
    notebook.peer = WorkerEnd(sock, notebook.resolve, handlers)
    send_frame(sock, {"op": "ready"})
    notebook.peer.serve_forever()
