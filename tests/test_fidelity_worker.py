"""The sealed worker runs cells as a Jupyter kernel does: the same outputs, as nbclient stores them.

Each test cell runs twice: in a real kernel through nbclient (what `nbgrader autograde` does) and in the
worker's IPython shell (grader/sealed/worker.py, in a fresh process, unconfined: the sandbox is tested in
tests/test_sandbox.py); the outputs must agree output by output, up to memory addresses and timings.
"""

import base64
import json
import re
import struct
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from grader.course import ROOT

CELLS = [
    "%matplotlib inline\nimport matplotlib.pyplot as plt\nimport torch",
    "for i in range(5):\n    print(i)\nimport sys\nsys.stderr.write('careful\\n')\nprint('after')",
    "from IPython.display import HTML, Markdown, display\ndisplay(HTML('<b>bold</b>'))\ndisplay(3)\n4",
    "plt.scatter([1, 2], [3, 4]);",
    "plt.plot([1, 2])",
    "fig = plt.figure()\nplt.plot([3, 1])\nplt.show()\nprint('shown')",
    "1 / 0",
    "def f():\n    raise ValueError('bad value')\n\nf()",
    "torch.ones?",
    "%time s = sum(range(10))",
    "import warnings\nwarnings.warn('top-level warning')",
    "5;",
    "",
    "torch.tensor([1.0, 2.0])",
    "_ * 2",
    "exit()",
    "print('still running')",
    "def g(:\n    pass",
    "from IPython.display import clear_output\nprint('gone')\nclear_output()\nprint('kept')",
    "handle = display(Markdown('first'), display_id=True)\nhandle.update(Markdown('second'))",
    "import sys\nsys.exit(3)",
    "print('a', end='')\nprint('b')\ndisplay('between')\nprint('c')",
    "print('a', flush=True)\nprint('b')\nsys.stdout.write('c')\nsys.stdout.flush()\nsys.stdout.flush()\nprint('d')",
    "name = input('your name? ')",
]
SHELL_CELL = "!ls /no/such/folder\nprint('exit code', _exit_code)\nfiles = !ls /no/such/folder\nlen(files)"

WORKER_SCRIPT = """
import json, sys
from grader.sealed import worker
worker.prepare()
class NoGrader:
    def request(self, message):
        return None
notebook = worker.Notebook(NoGrader())
given = json.loads(sys.stdin.read())
message = {"cells": list(enumerate(given["cells"])), "skip": [], "images_after": given["images_after"]}
print(json.dumps(notebook.run(message)))
"""


def run_in_worker(cells, home, images_after=None):
    proc = subprocess.run(
        [sys.executable, "-c", WORKER_SCRIPT],
        input=json.dumps({"cells": cells, "images_after": images_after}),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=home,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [(cell["execution_count"], [json.loads(o) for o in cell["outputs"]]) for cell in json.loads(proc.stdout)]


def run_in_kernel(cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    return [(cell.execution_count, [json.loads(json.dumps(o)) for o in cell.outputs]) for cell in nb.cells]


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    return run_in_kernel(CELLS), run_in_worker(CELLS, home), home


def normal(text: str) -> str:
    """Text without what differs between two runs: addresses, timings, the cell file's name in warnings."""
    text = re.sub(r"\b0x[0-9a-f]+", "0x…", text)
    text = re.sub(r"(CPU times|Wall time):.*", r"\1: …", text)
    return re.sub(r"^\S+:(\d+): (\w*Warning)", r"<cell>:\1: \2", text, flags=re.M)


def png_size(data: str) -> tuple[int, int]:
    raw = base64.b64decode(data)
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", raw[16:24])


def comparable(output: dict) -> dict:
    kind = output["output_type"]
    if kind == "stream":
        return {"stream": output["name"], "text": normal(output["text"])}
    if kind == "error":
        where = re.findall(r"Cell In\[\d+\], line \d+", re.sub(r"\x1b\[[0-9;]*m", "", "".join(output["traceback"])))
        evalue = re.sub(r"\((<ipython-input-[^>]*>|\d+\.py), line", "(<cell>, line", output["evalue"])
        return {"error": output["ename"], "evalue": evalue, "where": where}
    data = {
        mime: png_size(value) if mime == "image/png" else normal(value) if isinstance(value, str) else value
        for mime, value in output["data"].items()
    }
    return {kind: data, "count": output.get("execution_count")}


@pytest.mark.parametrize("index", range(len(CELLS)), ids=[c.splitlines()[0][:30] if c else "empty" for c in CELLS])
def test_cell_outputs_match_a_jupyter_kernel(both, index):
    """Does this cell give, in the sealed worker, the outputs and execution count a Jupyter kernel gives it?"""
    kernel, worker, _ = both
    (kernel_count, kernel_outputs), (worker_count, worker_outputs) = kernel[index], worker[index]
    assert worker_count == kernel_count
    assert [comparable(o) for o in worker_outputs] == [comparable(o) for o in kernel_outputs]


def test_plots_come_back_as_inline_png_images(both):
    """Does a cell that draws get the inline backend's PNG, of the kernel's size (not a text repr)?"""
    kernel, worker, _ = both
    for index in (3, 4, 5):
        images = [png_size(o["data"]["image/png"]) for o in worker[index][1] if "image/png" in o.get("data", {})]
        assert images and images == [
            png_size(o["data"]["image/png"]) for o in kernel[index][1] if "image/png" in o.get("data", {})
        ]


def test_a_run_whose_later_outputs_are_not_shown_draws_no_figures_there(tmp_path):
    """Are figures after `images_after` (a second run's cells, whose outputs feedback never shows) left
    undrawn, as text, while earlier ones are PNGs and the cells run alike?"""
    cells = [CELLS[0], "plt.plot([1, 2]);", "plt.plot([2, 1]);\nprint('drawn?')", "plt.plot([3, 3]);"]
    ran = run_in_worker(cells, tmp_path, images_after=1)
    mimes = [[sorted(o.get("data", {})) for o in outputs] for _, outputs in ran]
    assert mimes == [[], [["image/png", "text/plain"]], [[], ["text/plain"]], [["text/plain"]]]
    assert [count for count, _ in ran] == [1, 2, 3, 4] and ran[2][1][0]["text"] == "drawn?\n"


def test_tracebacks_name_the_cell_and_line_and_no_grader_file(both):
    """Does an error's traceback point at the student's cell and line, and at none of the grader's files?"""
    _, worker, _ = both
    (_, outputs) = worker[7]
    text = re.sub(r"\x1b\[[0-9;]*m", "", "".join(outputs[0]["traceback"]))
    assert "Cell In[8], line 4" in text and "Cell In[8], line 2" in text
    assert str(ROOT / "grader") not in text


def test_an_error_raised_in_grader_code_shows_only_the_cells_frames(tmp_path):
    """When a cell's call into the grader raises, does the traceback still show the cell and no grader path?"""
    [(_, outputs)] = run_in_worker(["from grader.verdict import show_verdict\nshow_verdict(0, 'no points')"], tmp_path)
    [error] = outputs
    text = re.sub(r"\x1b\[[0-9;]*m", "", "".join(error["traceback"]))
    assert error["ename"] == "HiddenChecksFailed" and "Cell In[1], line 2" in text
    assert "grader/verdict.py" not in text and str(ROOT) not in text


def test_a_shell_line_fails_as_a_failing_command_and_the_cell_goes_on(tmp_path):
    """Does a `!` line, which cannot start a process while grading, fail like a failing command in Jupyter?"""
    [(_, kernel_outputs)] = run_in_kernel([SHELL_CELL])
    [(_, worker_outputs)] = run_in_worker([SHELL_CELL], tmp_path)
    for outputs in (kernel_outputs, worker_outputs):
        assert [o["output_type"] for o in outputs if o["output_type"] != "stream"] == ["execute_result"]
        printed = "".join(o["text"] for o in outputs if o["output_type"] == "stream")
        code = int(re.search(r"exit code (-?\d+)", printed).group(1))
        assert code != 0
        assert outputs[-1]["data"]["text/plain"] == "1"
    assert "no program can be started while the notebook is graded" in worker_outputs[0]["text"]


def test_the_shell_writes_nothing_to_the_home_folder(both):
    """Does the worker's IPython leave no ~/.ipython (history off, its own folder thrown away)?"""
    _, _, home = both
    assert not (home / ".ipython").exists()


def test_huge_outputs_are_cut_to_what_the_protocol_carries(tmp_path):
    """Do a huge error message, display and print come back cut, saying so, each small enough for one frame string?"""
    cells = [
        "raise ValueError('x' * 3_000_000)",
        "display({'text/plain': 'y' * 2_000_000}, raw=True)\nprint('after')",
        "print('z' * 1_000_000)",
    ]
    proc = subprocess.run(
        [sys.executable, "-c", WORKER_SCRIPT],
        input=json.dumps({"cells": cells, "images_after": None}),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)},
    )
    reply = json.loads(proc.stdout)
    assert all(len(text.encode()) < 2**20 for cell in reply for text in cell["outputs"])
    error, display, printed = ([json.loads(o) for o in cell["outputs"]] for cell in reply)
    assert error[0]["ename"] == "ValueError" and len(error[0]["evalue"]) < 100_000 and "cut here" in error[0]["evalue"]
    assert "left out" in display[0]["text"] and display[0]["text"].endswith("after\n")
    assert printed[0]["text"].startswith("z" * (64 * 1024) + "[printed text left out here: over the grader's limit")
