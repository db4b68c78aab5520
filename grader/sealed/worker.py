"""The sandboxed worker: runs a student's notebook cells as Jupyter does and serves the grader's calls into them.

Runs in a child forked from the zygote, confined: nothing of lesson_ref or the hidden checks is in this
process or readable from it, nor any text of the instructor's notebook that the release does not show: a
grade cell comes in its release form, and its hidden part (the call that shows the function's verdict)
keeps the function's state (grader/sealed/grade_cell_state.py) for the checks the grader runs after the
last cell (or, in a second run, asks the grader for the verdict there). Cells run in an IPython
InteractiveShell (magics, `!` lines, display(), the inline matplotlib backend, execution counts); each
cell's outputs come back as nbformat v4 output dicts, as nbclient stores them from a kernel's messages.
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
from grader.sealed.grade_cell_state import GradeCellState
from grader.sealed.worker_end import WorkerEnd
from grader.stand_in import Recorded
from grader.verdict import HiddenChecksFailed, show_verdict

# What one notebook's outputs may take, so that the worker's reply is one frame (grader/sealed/frames.py: a
# string of at most 1 MiB, 64 MiB in all, 100,000 items in a list); each limit, when hit, says so in the cell.
MAX_CELL_OUTPUT = 64 * 1024  # characters of stdout/stderr kept per cell
MAX_CELL_RICH = 4 * 2**20  # characters (as JSON) of display data (images as base64) kept per cell
MAX_NOTEBOOK_OUTPUT = 24 * 2**20  # characters (as JSON) of all outputs of a notebook
MAX_ONE_OUTPUT = 900_000  # characters (as JSON) of one output: it stays one protocol string (1 MiB)
MAX_CELL_OUTPUTS = 1000  # outputs of one cell (each print after a flush, each display, is one)
MAX_NOTEBOOK_OUTPUTS = 10_000  # outputs of all cells
MAX_ERROR_TEXT = 20_000  # characters of an error's value and of each traceback entry
TRACEBACK_ROOM = 300  # a traceback entry's room beside that: the error's name and colours before its value
GRADER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # tracebacks skip its frames
NO_PROGRAMS = "no program can be started while the notebook is graded (sandbox)"
NO_PROGRAMS_EXIT = 126  # what a shell says of a command it cannot execute


def _json_size(value) -> int:
    """Characters of `value` as JSON (ASCII, as the reply carries it): what the limits count."""
    return len(json.dumps(value))


def _over(what: str, limit: int, unit: str) -> str:
    """A note that takes the place of what a limit left out, in English and Chinese."""
    return (
        f"[{what} left out here: over the grader's limit of {limit} {unit} / "
        f"此处省略了输出:超出评分程序的限制({limit} {unit})]\n"
    )


def _cut(text: str, limit: int) -> str:
    """`text`, or its first `limit` characters and a note saying the rest was cut."""
    if len(text) <= limit:
        return text
    left_out = len(text) - limit
    return f"{text[:limit]} [{left_out} characters cut here: over the grader's limit of {limit} / 超出限制,已截断]"


class _Outputs:
    """One cell's outputs as nbclient stores them from a kernel: v4 output dicts.

    As ipykernel buffers stdout and stderr, and each flush (before any other output, at the end of the cell,
    on sys.stdout.flush()) sends one stream message, the writes to a stream between two flushes make one
    stream output. What a limit leaves out is replaced by a note saying which limit (once per cell and kind).
    """

    def __init__(self, displays: dict, left: list[int]):
        self.left = left  # [characters as JSON, outputs] the notebook's outputs may still take, shared by its cells
        self.items: list[dict] = []
        self.displays = displays  # display_id -> its outputs in any cell (update_display changes them)
        self.pending = {"stdout": [], "stderr": []}  # written since the last flush
        self.stream_chars = self.rich_chars = 0
        self.clear_pending = False
        self.noted: set[str] = set()  # the limits this cell has already said it hit

    def _add(self, output: dict) -> dict | None:
        if self.clear_pending:
            self.items.clear()
            self.clear_pending = False
        if not self._room():
            return None
        self.left[1] -= 1
        self.items.append(output)
        return output

    def _room(self) -> bool:
        """Whether one more output may be shown in this cell and notebook, saying which count is spent if not."""
        cell = len(self.items) >= MAX_CELL_OUTPUTS and not self.clear_pending
        if cell or self.left[1] <= 0:
            self._note(
                "outputs",
                MAX_CELL_OUTPUTS if cell else MAX_NOTEBOOK_OUTPUTS,
                "outputs per cell" if cell else "outputs per notebook",
            )
            return False
        return True

    def _note(self, what: str, limit: int, unit: str, printed: bool = False) -> None:
        """Say once per cell that a limit left something out: in its own stream output, beyond the limits, or
        (printed) as printed text, which joins what the cell prints next as a kernel's stdout would."""
        key = f"{what} {unit}"
        if key not in self.noted:
            self.noted.add(key)
            if printed:
                self.pending["stdout"].append(_over(what, limit, unit))
            else:
                self.items.append({"output_type": "stream", "name": "stdout", "text": _over(what, limit, unit)})

    def stream(self, name: str, text: str) -> None:
        kept = text[: max(MAX_CELL_OUTPUT - self.stream_chars, 0)]
        if kept:
            size = _json_size(kept) - 2
            if size > self.left[0]:
                self.flush()
                self._note("output", MAX_NOTEBOOK_OUTPUT, "characters of outputs per notebook")
                return
            self.pending[name].append(kept)
            self.stream_chars += len(kept)
            self.left[0] -= size
        if len(kept) < len(text):
            self._note("printed text", MAX_CELL_OUTPUT, "characters per cell", printed=True)

    def flush(self, *names: str) -> None:
        """What was written to these streams (both, stdout first, by default) becomes one output each."""
        for name in names or ("stdout", "stderr"):
            parts = self.pending[name]
            if parts:
                self._add({"output_type": "stream", "name": name, "text": "".join(parts)})
                parts.clear()

    def fits(self, data: dict, metadata: dict, new: bool = True) -> bool:
        """Whether display data of this size may be kept (and counted), saying which limit it hit if not.

        new: it would be a new output (an update_display changes one already counted)."""
        if new and not self._room():
            return False
        size = _json_size([data, metadata])
        for over, limit, unit in (
            (size > MAX_ONE_OUTPUT, MAX_ONE_OUTPUT, "characters per output"),
            (self.rich_chars + size > MAX_CELL_RICH, MAX_CELL_RICH, "characters of displays per cell"),
            (size > self.left[0], MAX_NOTEBOOK_OUTPUT, "characters of outputs per notebook"),
        ):
            if over:
                self._note("an output", limit, unit, printed=True)
                return False
        self.rich_chars += size
        self.left[0] -= size
        return True

    def rich(self, output_type: str, data: dict, metadata: dict | None, **extra) -> dict | None:
        self.flush()
        data, metadata = _json_data(data), _json_data(metadata or {})
        if not self.fits(data, metadata):
            return None
        return self._add({"output_type": output_type, "data": data, "metadata": metadata, **extra})

    def error(self, ename: str, evalue: str, traceback: list[str]) -> None:
        self.flush()
        if len(traceback) > 20:  # the first frames and the last ones (where it was raised, and what)
            traceback = [*traceback[:10], "...", *traceback[-10:]]
        cut = MAX_ERROR_TEXT
        while True:  # escaped as JSON (control or non-ASCII characters) it may still be too long for one string
            output = {
                "output_type": "error",
                "ename": ename[:200],
                "evalue": _cut(evalue, cut),
                "traceback": [_cut(line, cut + TRACEBACK_ROOM) for line in traceback],
            }
            if _json_size(output) <= MAX_ONE_OUTPUT or cut < 100:
                break
            cut //= 2
        self.left[0] -= _json_size(output)
        self._add(output)

    def clear(self, wait: bool) -> None:
        """clear_output(): at once, or (wait=True) when the next output comes, as nbclient does."""
        self.flush()
        self.clear_pending = wait
        if not wait:
            self.items.clear()
        self.stream_chars = self.rich_chars = 0
        self.noted.clear()


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
            data, metadata = _json_data(data), _json_data(metadata or {})
            for output in outputs.displays.get(display_id, []):
                if outputs.fits(data, metadata, new=False):
                    output["data"], output["metadata"] = data, metadata
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
    grader will not show (a second run's, which serves only the in-kernel score of a grade cell)."""
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
        self.output_left = [MAX_NOTEBOOK_OUTPUT, MAX_NOTEBOOK_OUTPUTS]
        self.patches = {}
        self.checks_at_end = False  # the run's grade cells keep their function's state; the checks come after
        self.kept: dict[str, GradeCellState] = {}  # function -> its state at its grade cell (checks_at_end)
        self.checking: tuple[contextlib.ExitStack, _Outputs] | None = None  # between check_begin and check_end
        self.grade_cell_sources: dict[str, str] = {}  # function -> its grade cell's text, as it ran
        self.checked_cell = ""  # the grade cell whose function's checks run (what IPython takes as the last input)
        hidden = types.ModuleType("grader.hidden")
        hidden.award = self.award
        hidden.HiddenChecksFailed = HiddenChecksFailed
        sys.modules["grader.hidden"] = hidden  # for a notebook that imports it itself: award() asks the grader

    def award(self, function, namespace=None):
        """A grade cell's verdict: the grader runs the checks through this worker and says the verdict."""
        verdict = self.peer.request({"op": "grade", "function": str(function)})
        return show_verdict(float(verdict["points"]), str(verdict["message"]))

    def keep(self, function: str) -> None:
        """A grade cell's end when the checks come after the last cell: keep the function's state, show nothing."""
        self.kept[function] = GradeCellState.take(self.ns, function)

    def check_begin(self, message) -> dict:
        """Before a function's checks: its grade cell's state back in place (unless stale), its outputs caught.

        -> {"reached": whether its grade cell kept a state, "stale": why that state cannot serve, or None}.
        What the function shows while checked is caught as its grade cell's kernel would have (check_end).
        """
        function = str(message["function"])
        state, self.checked_cell = self.kept.get(function), self.grade_cell_sources.get(function, "")
        stale = state.changed() if state is not None else None
        stack = contextlib.ExitStack()
        if state is not None and stale is None:
            try:
                stack.enter_context(state.restored())
            except Exception as err:  # what could not be put back is checked at its grade cell instead
                stale = f"{type(err).__name__} while putting the state back"
        self.checking = (stack, stack.enter_context(self._caught()))
        return {"reached": state is not None, "stale": stale}

    def check_end(self, message) -> list[str]:
        """After a function's checks: the state as the last cell left it. -> what it showed meanwhile (JSON each)."""
        if self.checking is None:
            return []
        (stack, caught), self.checking = self.checking, None
        stack.close()
        return [json.dumps(o) for o in caught.items]

    @contextlib.contextmanager
    def _caught(self):
        """Within the block, what the code prints or displays goes to outputs of its own (yielded), as in a cell."""
        saved = sys.stdout, sys.stderr, self.shell.outputs
        caught = self.shell.outputs = _Outputs({}, [MAX_CELL_RICH, MAX_CELL_OUTPUTS])
        sys.stdout, sys.stderr = _Stream("stdout", self.shell), _Stream("stderr", self.shell)
        inputs = self.shell.history_manager.input_hist_parsed
        inputs.append(self.checked_cell)  # a value shown is hidden by a `;` ending this input, not the last cell
        try:
            with self.shell.builtin_trap, self.shell.display_trap:  # sys.displayhook and builtins as in a cell
                yield caught
        finally:
            if inputs and inputs[-1] is self.checked_cell:
                inputs.pop()
            caught.flush()
            sys.stdout, sys.stderr, self.shell.outputs = saved

    def run(self, message):
        """Run the cells in order (skipping some). -> each cell's index, execution count and outputs (JSON each).

        An empty cell is not run and takes no execution count, as in nbclient; a grade cell (`grade_cells`:
        [index, function] pairs) always runs, as its instructor version holds the hidden tests.
        """
        results = []
        self.checks_at_end = message.get("checks_at_end") is True
        skip = set(message["skip"])
        images_after = message.get("images_after")
        grade_cells = {int(index): str(fn) for index, fn in message.get("grade_cells", [])}
        for index, pieces in message["cells"]:
            if index in skip:
                continue
            source = "".join(map(str, pieces)) if type(pieces) is list else str(pieces)  # grader_end.text_pieces
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
        if graded is not None:  # its verdict is shown whatever the cells before it printed: a budget of its own
            self.grade_cell_sources[graded] = source
            ending = _VerdictAtTheEnd(VERDICT_NAME, len(source.splitlines()) + 1)
            self.shell.ast_transformers.append(ending)
            self.ns[VERDICT_NAME] = (lambda: self.keep(graded)) if self.checks_at_end else lambda: self.award(graded)
            try:
                return self._run(source, [MAX_CELL_RICH, MAX_CELL_OUTPUTS])
            finally:
                self.ns.pop(VERDICT_NAME, None)
                with contextlib.suppress(ValueError):
                    self.shell.ast_transformers.remove(ending)
        return self._run(source, self.output_left)

    def _run(self, source: str, left: list[int]) -> tuple[int, list[dict]]:
        shell = self.shell
        outputs = shell.outputs = _Outputs(self.displays, left)
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
        """Point names that a student function looks up as globals at grader callbacks, until unpatched.

        The grader numbers its patches (`token`); they ride on its next request (WorkerEnd.handle).
        """
        token = message["token"]
        if type(token) is not int or token in self.patches:
            raise TypeError("a patch needs a token of its own")
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
        self.patches[token] = (scope, {name: scope.get(name, missing) for name in replacements}, missing, stand_ins)
        scope.update(replacements)

    def unpatch(self, message):
        """Restore the globals (a patch that never took, because it failed, leaves nothing to restore)."""
        scope, saved, missing, _ = self.patches.pop(message["token"], (None, {}, None, None))
        for name, value in saved.items():
            if value is missing:
                scope.pop(name, None)
            else:
                scope[name] = value

    def played(self) -> list:
        """[token, {name: calls}] for each live patch whose stand-ins were called since the last time asked."""
        taken = []
        for token, (_, _, _, stand_ins) in self.patches.items():
            calls = {name: stand_in.take() for name, stand_in in stand_ins.items()}
            if any(calls.values()):
                taken.append([token, calls])
        return taken

    def handlers(self) -> dict:
        """The requests (beyond calls and gradients) that this notebook serves, by op."""
        return {
            "run": self.run,
            "patch": self.patch,
            "unpatch": self.unpatch,
            "check_begin": self.check_begin,
            "check_end": self.check_end,
        }


def refuse(sock, reason: str) -> None:
    """Tell the grader this worker will run nothing, and why (its confinement failed)."""
    send_frame(sock, {"op": "failed", "reason": reason})


def serve(sock) -> None:
    """Answer the grader until it says exit or goes away (called confined, in the worker's scratch folder)."""
    os.environ.update(HOME=os.getcwd(), TMPDIR=os.getcwd(), MPLCONFIGDIR=os.getcwd(), NBGRADER_EXECUTION="autograde")
    notebook = Notebook(None)
    notebook.peer = WorkerEnd(sock, notebook.resolve, notebook.handlers(), played=notebook.played)
    send_frame(sock, {"op": "ready"})
    notebook.peer.serve_forever()
