"""benchmarks/grading_throughput.py's floor: notebooks run once in one warm process, the hidden checks in place.

End to end: a child process imports torch, IPython and the checks, runs the source notebook as its warm-up, then
three submissions (about 10 s). No nbgrader: the submissions are made from the committed release.
"""

import importlib.util
import shutil
import sys

import nbformat
import pytest

from grader import ASSIGNMENT, samples
from grader.course import NOTEBOOK, ROOT

NAMES = ["pass_reference", "fail_update_wrong_sign", "blank_release"]  # full marks, one function's loss, nothing


def _benchmark():
    spec = importlib.util.spec_from_file_location("grading_throughput", ROOT / "benchmarks" / "grading_throughput.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def floor(tmp_path_factory, source_nb, release_nb):
    root = tmp_path_factory.mktemp("floor")
    shutil.copytree(ROOT / "source", root / "source")
    for name in NAMES:
        out = root / "submitted" / name / ASSIGNMENT / NOTEBOOK
        out.parent.mkdir(parents=True)
        nbformat.write(samples.sample_notebook(samples.SAMPLES_DIR / f"{name}.py", release_nb, source_nb), out)
    return _benchmark().floor(root, NAMES)


def test_each_notebook_scores_what_its_name_promises(floor):
    """Did the grade cells run the hidden checks in-process, each function's points the cell's value?"""
    assert {name: floor["students"][name]["points"] for name in NAMES} == {
        name: samples.expected_scores(name) for name in NAMES
    }


def test_each_notebook_has_its_own_time_and_draws_its_figures(floor):
    """A positive CPU and wall time per notebook, the warm-up apart, and the lesson's figures drawn as PNGs?"""
    assert floor["warm_up"] > 0
    for name in NAMES:
        run = floor["students"][name]
        assert run["cpu"] > 0 and run["wall"] > 0, (name, run)
    assert floor["students"]["pass_reference"]["figures"] >= 4  # the scatter and loss plots of a finished notebook


def test_the_sampler_follows_the_command_and_its_forks_by_kind(tmp_path):
    """Does the benchmark's sampler find the command and its same-command fork (a grading process), with their CPU?"""
    script = tmp_path / "fork.py"
    script.write_text(
        "import os, time\n"
        "child = os.fork()\n"
        "end = time.process_time() + 0.3\n"
        "while time.process_time() < end:\n"
        "    pass\n"
        "time.sleep(0.3)\n"
        "if child:\n"
        "    os.waitpid(child, 0)\n"
    )
    ran = _benchmark().run([sys.executable, str(script)], tmp_path)
    assert set(ran.peaks) == {"main", "grading"}, ran.peaks
    assert ran.cpu["grading"] >= 0.2 and ran.main_cpu >= 0.2, ran.cpu
