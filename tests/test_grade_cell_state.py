"""The state a graded function's checks run on after the last cell: its grade cell's, put back or found stale."""

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from grader.sealed.grade_cell_state import GradeCellState


def notebook(*cells: str) -> dict:
    """A namespace as a notebook's cells leave it (run in order, as in the worker's shell)."""
    ns = {"__name__": "__main__", "torch": torch}
    for cell in cells:
        exec(cell, ns)
    return ns


def run(ns: dict, cell: str) -> None:
    exec(cell, ns)


MSE = "def mse(y_hat, y):\n    return ((y_hat - y) ** 2).mean()\n"
UPDATE = "def update(x, y, a, lr):\n    return mse(x @ a, y)\n"


def test_a_function_redefined_after_its_grade_cell_is_checked_as_it_stood_there():
    """If you redefine mse after its grade cell, are its checks run on the mse the grade cell saw?"""
    ns = notebook(MSE)
    graded = ns["mse"]
    state = GradeCellState.take(ns, "mse")
    run(ns, "def mse(y_hat, y):\n    return 0\n")
    assert state.changed() is None
    with state.restored():
        assert ns["mse"] is graded
    assert ns["mse"] is not graded


def test_a_helper_rebound_after_the_grade_cell_is_put_back_for_the_checks():
    """If you rebind a helper that update calls, do update's checks still call the one its grade cell saw?"""
    ns = notebook(MSE, UPDATE)
    helper = ns["mse"]
    state = GradeCellState.take(ns, "update")
    run(ns, "mse = None")
    with state.restored():
        assert ns["mse"] is helper
        assert ns["update"](torch.ones(3, 2), torch.zeros(3), torch.ones(2), 0.1).item() == 4.0
    assert ns["mse"] is None


def test_a_name_bound_only_after_the_grade_cell_is_unbound_for_the_checks():
    """If a helper did not exist yet at the grade cell, or a later global hides a builtin, do the checks see
    what the grade cell saw?"""
    ns = notebook("def f(x):\n    return helper(abs(x))\n")
    state = GradeCellState.take(ns, "f")
    run(ns, "def helper(x):\n    return x\nabs = None")
    with state.restored():
        assert "helper" not in ns and "abs" not in ns
    assert "helper" in ns and ns["abs"] is None


def test_a_tensor_changed_in_place_after_the_grade_cell_makes_the_state_stale():
    """If a global tensor your function reads changes in place later, is the function checked in a run of its own?"""
    ns = notebook("scale = torch.ones(1)", "def mse(y_hat, y):\n    return scale * ((y_hat - y) ** 2).mean()\n")
    state = GradeCellState.take(ns, "mse")
    assert state.changed() is None
    run(ns, "scale.mul_(2)")
    assert "Tensor" in state.changed()


def test_a_list_of_numbers_is_compared_by_value():
    """Is a global list (or set) of numbers that your function reads compared item by item, stale only when it
    changed?"""
    ns = notebook("w = [1.0, 2.0]\nseen = set(range(40))", "def f(x):\n    return x * w[0] + len(seen)\n")
    state = GradeCellState.take(ns, "f")
    run(ns, "w.append(3.0); w.pop()\nfor k in range(40, 80): seen.add(k)\nfor k in range(40, 80): seen.discard(k)")
    assert state.changed() is None
    run(ns, "w[0] = float('nan')")
    assert "list" in state.changed()


def test_what_cannot_be_compared_makes_the_state_stale_at_once():
    """Is a function that reads a notebook class, a list of tensors, or looks names up at run time never trusted?"""
    cases = {
        "class C:\n    k = 1\ndef f(x):\n    return C.k * x\n": "class C",
        "kept = [torch.ones(1)]\ndef f(x):\n    return kept[0] * x\n": "list",
        "def f(x):\n    return globals()['torch'].ones(1) * x\n": "globals",
    }
    for cell, reason in cases.items():
        state = GradeCellState.take(notebook(cell), "f")
        assert state.stale is not None and reason in state.stale, (cell, state.stale)
        assert state.changed() == state.stale


def test_a_library_function_or_module_is_followed_no_further():
    """Does a function that calls torch and torch.nn.functional stay checkable, however big those libraries are?"""
    ns = notebook(
        "import math\nfrom torch.nn import functional as F\nfrom torch.nn.functional import mse_loss\n",
        "def f(a, b):\n    return mse_loss(a, b) + F.l1_loss(a, b) * math.pi\n",
    )
    state = GradeCellState.take(ns, "f")
    assert state.stale is None and state.changed() is None


def test_a_function_whose_code_or_defaults_change_later_is_stale():
    """If a later cell swaps your function's code or defaults in place, is that seen?"""
    ns = notebook("def f(x, k=1):\n    return x * k\n")
    state = GradeCellState.take(ns, "f")
    run(ns, "f.__defaults__ = (2,)")
    assert state.changed() is not None


def test_random_states_and_torch_settings_are_the_grade_cells_during_the_checks():
    """Do the checks see the random states, default dtype and grad mode as they were at the grade cell?"""
    ns = notebook(MSE)
    torch.manual_seed(7)
    random.seed(7)
    expected = (torch.rand(3), random.random())
    torch.manual_seed(7)
    random.seed(7)
    state = GradeCellState.take(ns, "mse")
    torch.rand(5)
    random.random()
    dtype = torch.get_default_dtype()
    try:
        torch.set_default_dtype(torch.float64)
        torch.set_grad_enabled(False)
        with state.restored():
            assert torch.get_default_dtype() == torch.float32 and torch.is_grad_enabled()
            drawn = (torch.rand(3), random.random())
        assert torch.get_default_dtype() == torch.float64 and not torch.is_grad_enabled()
    finally:
        torch.set_default_dtype(dtype)
        torch.set_grad_enabled(True)
    assert torch.equal(drawn[0], expected[0]) and drawn[1] == expected[1]


def test_a_generator_the_function_reads_is_put_back_to_its_state_then():
    """If your function's default generator drew numbers after the grade cell, do the checks see its state then?"""
    ns = notebook(
        "g = torch.Generator().manual_seed(3)",
        "def f(n, generator=g):\n    return torch.randperm(n, generator=generator)\n",
    )
    state = GradeCellState.take(ns, "f")
    first = ns["f"](10)
    ns["f"](10)
    with state.restored():
        assert torch.equal(ns["f"](10), first)
    assert not torch.equal(ns["f"](10), first)


def test_a_function_reaching_too_many_objects_is_stale():
    """Is following a function's objects bounded (a huge tuple of globals makes it stale, not slow)?"""
    ns = notebook("big = tuple(range(2000))", "def f(x):\n    return big[0] + x\n")
    assert "items" in GradeCellState.take(ns, "f").stale


@pytest.mark.parametrize("name", ["missing", "not_callable"])
def test_a_missing_or_odd_function_gives_a_state_that_leaves_the_name_as_it_was(name):
    """If the graded name is missing or not a function at its grade cell, is that what the checks see?"""
    ns = notebook("not_callable = 3")
    state = GradeCellState.take(ns, name)
    run(ns, f"def {name}(x):\n    return x\n")
    assert state.changed() is None
    with state.restored():
        assert ns.get(name) == (3 if name == "not_callable" else None)


WORKER_SCRIPT = """
import json, sys
from grader.sealed.worker import Notebook

class Peer:
    def request(self, message):
        return None

cells, function = json.loads(sys.stdin.read())
notebook = Notebook(Peer())
grade_cell = len(cells)
notebook.run({"cells": [[i, [c]] for i, c in enumerate([*cells, "# hidden tests grade it here"])], "skip": [],
              "grade_cells": [[grade_cell, function]], "checks_at_end": True})
notebook.run({"cells": [[grade_cell + 1, ["x = 1;"]]], "skip": [], "grade_cells": [], "checks_at_end": True})
begun = notebook.check_begin({"function": function})
if begun["stale"] is None:
    notebook.ns[function](2)
shown = notebook.check_end({})
print(json.dumps({"begun": begun, "shown": [json.loads(o) for o in shown]}))
"""


def checked_in_a_worker(cells: list[str], function: str) -> dict:
    """A worker's Notebook (in a process of its own) runs `cells`, a grade cell for `function` and a last cell
    ending with `;`, then begins its checks, calls it once with 2, and ends them. -> the two replies."""
    proc = subprocess.run(
        [sys.executable, "-c", WORKER_SCRIPT],
        input=json.dumps([cells, function]),
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg", "PYTHONPATH": str(Path(__file__).parent.parent)},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def test_what_a_function_shows_while_checked_is_caught_as_its_grade_cell_would_show_it():
    """Is what your function prints or shows as a value during its checks kept apart (for the in-kernel score),
    never printed elsewhere, and a value shown even though the notebook's last cell ends with `;`?"""
    cell = "import sys\ndef f(x):\n    print('checked with', x)\n    sys.displayhook(x * 10)\n    return x\n"
    replies = checked_in_a_worker([cell], "f")
    assert replies["begun"] == {"reached": True, "stale": None}
    kinds = [(o["output_type"], o.get("text") or o.get("data", {}).get("text/plain")) for o in replies["shown"]]
    assert kinds == [("stream", "checked with 2\n"), ("execute_result", "20")]


def test_a_state_that_cannot_be_put_back_makes_the_function_stale_not_the_worker_fail():
    """If something your function reads cannot be put back as it was, is the function checked at its grade cell
    (stale), rather than the worker failing?"""
    cell = (
        "import torch\nclass G(torch.Generator):\n    def set_state(self, state):\n        raise RuntimeError('no')\n"
        "g = G()\ndef f(x, generator=g):\n    return x\n"
    )
    replies = checked_in_a_worker([cell], "f")
    assert replies["begun"]["reached"] and replies["begun"]["stale"].startswith("RuntimeError")
    assert replies["shown"] == []
