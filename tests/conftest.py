"""Shared fixtures of the kit's own tests: the notebooks and a throwaway copy of the course."""

import shutil

import nbformat
import pytest

from grader.course import NOTEBOOK, ROOT

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
