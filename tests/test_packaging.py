"""The kit as a wheel: built without touching the tree, installed into a fresh venv, grading sealed from there."""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from pathlib import Path

import pytest
from conftest import new_course

from grader import course, samples

ROOT = course.ROOT
SITE = Path(sysconfig.get_paths()["purelib"])  # the project venv's site-packages: torch, nbgrader, ...
OURS = ("lesson2_sgd_kit", "__editable__", "__editable___lesson2_sgd_kit")  # the editable install of this folder
PICKED = ["pass_reference", "fail_update_no_zero_grad", "blank_release"]


def git(*args):
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def working_tree_files() -> list[str]:
    """What a commit of the tree would hold now: tracked files and untracked ones git does not ignore."""
    return [f for f in git("ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0") if f]


def build_outputs() -> dict[str, int]:
    """What a setuptools build writes into the folder it builds: build/, dist/, *.egg-info (path -> mtime)."""
    found = [ROOT / "build", ROOT / "dist", *ROOT.glob("*.egg-info"), *ROOT.glob("*.egg-info/*")]
    return {str(p.relative_to(ROOT)): p.stat().st_mtime_ns for p in found if p.exists()}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """(the wheel built from a copy of the working tree, build outputs in the tree before, and after).

    The tree is shared with others at work, so the test compares what a build could write, not all of git status.
    """
    before = build_outputs()
    src, dist = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("dist")
    for name in working_tree_files():
        if (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    build = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(dist), str(src)]
    subprocess.run(build, check=True, capture_output=True, timeout=300)
    [built] = dist.glob("*.whl")
    return built, before, build_outputs()


@pytest.fixture(scope="module")
def venv(wheel):
    """A fresh venv holding the wheel, and the project venv's third-party packages as hard links (no download).

    Links, not a .pth pointing at the project venv: the sandbox shows the worker its own Python
    installation only, so torch must live inside the new venv. Not under /tmp: the sandbox mounts its own
    empty /tmp over it.
    """
    env = Path(tempfile.mkdtemp(prefix="lesson2-wheel-venv-", dir="/var/tmp"))
    env.chmod(0o755)  # as a venv made by hand is: the sandbox (user nobody) walks into it to see grader/
    try:
        yield _install(env, wheel[0])
    finally:
        shutil.rmtree(env, ignore_errors=True)


def _install(env: Path, wheel: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True, timeout=120)
    python = env / "bin" / "python"
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(subprocess.check_output([python, "-c", purelib], text=True).strip())
    for entry in SITE.iterdir():
        if entry.name.startswith(OURS) or entry.name in ("grader", "lesson_ref"):
            continue
        target = site / entry.name
        link = ["cp", "-al", str(entry), str(target)]
        if subprocess.run(link, capture_output=True).returncode != 0:  # another file system: copy
            subprocess.run(["cp", "-a", str(entry), str(target)], check=True)
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index"]
    subprocess.run([*install, str(wheel)], check=True, capture_output=True, timeout=300)
    return python


def run_in(python, *args, cwd, timeout=600):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([python, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_building_the_wheel_leaves_the_tree_as_it_was(wheel):
    """Does building the wheel leave no build/, dist/ or new egg-info in the repository?"""
    _, before, after = wheel
    assert after == before


def test_wheel_holds_every_file_of_the_packages(wheel):
    """Does the wheel hold every file of grader/ (the sealed grader and the hidden checks too) and lesson_ref/?"""
    names = set(zipfile.ZipFile(wheel[0]).namelist())
    wanted = {f for f in working_tree_files() if f.startswith(("grader/", "lesson_ref/")) and (ROOT / f).is_file()}
    assert wanted - names == set()
    assert {"grader/sealed/session.py", "grader/checks/test_update.py", "grader/checks/conftest.py"} <= names


def test_installed_grader_imports_from_the_venv_and_shows_its_help(venv, tmp_path):
    """Does `python -m grader --help` work from the installed wheel, importing grader from the new venv?"""
    proc = run_in(venv, "-c", "import grader, lesson_ref, grader.checks; print(grader.__file__)", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()).is_relative_to(venv.parent.parent), proc.stdout
    proc = run_in(venv, "-m", "grader", "--help", cwd=tmp_path)
    assert proc.returncode == 0 and "grade" in proc.stdout, proc.stderr


def test_installed_grader_grades_a_course_sealed(venv, tmp_path):
    """From the installed wheel, does `python -m grader grade` give three samples the scores their names promise?"""
    root = new_course(tmp_path / "course")
    course.release(root)  # nbgrader's CLI lives in the project venv; grading is what the wheel must do
    samples.write_submissions(root, PICKED)
    proc = run_in(venv, "-m", "grader", "--root", str(root), "grade", "--jobs", "2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((root / "autograded" / "sealed_results.json").read_text())["students"]
    got = {s: {fn: v["points"] for fn, v in r["functions"].items()} for s, r in report.items()}
    assert got == {name: samples.expected_scores(name) for name in PICKED}
