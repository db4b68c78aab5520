"""Shared fixtures of the kit's own tests: the notebooks and a throwaway copy of the course; the e2e marks."""

import shutil

import nbformat
import pytest

from grader.course import NOTEBOOK, ROOT

# End-to-end tests: they run nbgrader or a kernel, grade whole courses sealed, start a cluster, a browser or
# PostgreSQL, or build the package. `make check` (pytest -m "not e2e") leaves them out; `make test` runs them.
# A NEW END-TO-END TEST MODULE MUST BE ADDED HERE (or one test, as "module::test"), or it slows the fast lane.
E2E = {
    "test_autograde",  # stock nbgrader autograde on the samples
    "test_benchmarks_floor",  # the benchmark's floor: torch, IPython and the checks in a child process
    "test_cluster",  # Dask scheduler and workers, one killed
    "test_fidelity",  # stock nbgrader autograde against sealed grading, field by field
    "test_fidelity_cycle",  # nbgrader's collect, autograde and formgrader around sealed grading
    "test_fidelity_gradebook",  # nbgrader generate_assignment and its autograde converter on built results
    "test_fidelity_worker",  # every test cell in a real Jupyter kernel and in the worker
    "test_notebook::test_solution_notebook_runs_without_errors_or_stderr",  # a Jupyter kernel
    "test_notebook::test_grade_cells_show_their_points_as_a_number",
    "test_notebook::test_animation_stays_small",
    "test_gpu::test_the_probe_finds_cuda_unusable_in_a_sandboxed_worker",  # a sandbox's zygote
    "test_gpu::test_the_probe_accepts_a_worker_that_computes_on_the_gpu",
    "test_gpu::test_sealed_grading_with_an_unusable_gpu_gives_full_marks_and_says_why",  # nbgrader, grade CLI
    "test_packaging",  # builds the wheel, installs it, grades from it
    "test_postgres",  # a PostgreSQL server on loopback
    "test_release",  # nbgrader generate_assignment
    "test_class_summary::test_class_summary_page_shows_its_four_figures_in_a_real_browser",  # headless Chromium
    "test_similarity::test_the_section_shows_its_figure_and_the_code_side_by_side_in_a_real_browser",  # Chromium
    "test_sealed",  # sealed grading of a whole course through the CLI
    "test_as_ordinary_user",  # the sealed tests and the demo as two made users, with subordinate ids and without
    "test_formgrader",  # a Jupyter server as an ordinary user, formgrader's Autograde button clicked in Chromium
    "test_nbgrader_sealed",  # nbgrader autograde with the config's sealed steps, against the CLI and in-kernel
    "test_unconfined",  # grade refusing, and grading with --unconfined, through the CLI
}

SOURCE = ROOT / "source" / "lesson2_sgd" / NOTEBOOK
RELEASE = ROOT / "release" / "lesson2_sgd" / NOTEBOOK


@pytest.fixture(scope="session")
def source_nb():
    return nbformat.read(SOURCE, as_version=4)


@pytest.fixture(scope="session")
def release_nb():
    return nbformat.read(RELEASE, as_version=4)


def new_course(path):
    """A course folder holding what an instructor commits: source/ and nbgrader_config.py."""
    shutil.copytree(ROOT / "source", path / "source")
    shutil.copy(ROOT / "nbgrader_config.py", path)
    return path


def pytest_collection_modifyitems(config, items):
    """Mark every test of an E2E module (or named in E2E) as `e2e`; an entry naming no test function is an error."""
    modules = {}
    for item in items:
        module = item.path.stem
        modules[module] = item.module
        if module in E2E or f"{module}::{item.originalname}" in E2E:
            item.add_marker(pytest.mark.e2e)
    named = (entry.split("::") for entry in E2E if "::" in entry)
    stale = [f"{m}::{t}" for m, t in named if m in modules and not hasattr(modules[m], t)]
    if stale:
        raise pytest.UsageError(f"tests/conftest.py E2E names tests that do not exist (renamed?): {stale}")
