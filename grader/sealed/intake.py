"""Submissions read only as regular files inside their folder: no symlinks, devices, FIFOs, huge or non-UTF-8 files.

`checked(root, student)` returns the path to grade: the student's own notebook when it is safe to read,
or, when it is not, a stand-in notebook (no cells) whose metadata says why, so that every route to the
grader (a local pool, Dask with the notebook's bytes) gives the student a clear message and a 0, and
nothing outside the submission folder (say, a symlink to source/) is ever read or shown in feedback.
"""

import atexit
import os
import shutil
import stat
import tempfile
from pathlib import Path

import nbformat

from grader import ASSIGNMENT
from grader.course import NOTEBOOK

MAX_NOTEBOOK_BYTES = 32 * 2**20
MAX_CELLS = 2000  # cells of one notebook (the lesson has about 40); nbgrader's converter pays for each
MAX_ENTRIES = 1000  # files and folders in one submission folder
MAX_FOLDER_BYTES = 64 * 2**20  # all of them together
REJECTED_KEY = "lesson2_sgd_rejected"  # metadata of a stand-in notebook: why the submission was not read

_stand_ins: str | None = None


class Rejected(ValueError):
    """The submitted notebook cannot be read safely; the message says why."""


def read_notebook(folder: Path, student: str) -> bytes | None:
    """The bytes of submitted/<student>/<assignment>/<notebook>, or None if there is none.

    Every step is checked without following links: the student's folder and the assignment folder must be
    real folders and the notebook a regular file of at most MAX_NOTEBOOK_BYTES of UTF-8 text.
    """
    path = folder
    for part, kind in ((student, "folder"), (ASSIGNMENT, "folder"), (NOTEBOOK, "file")):
        path = path / part
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return None
        except OSError as err:
            raise Rejected(f"{path.relative_to(folder)} could not be read ({err.strerror})") from None
        if stat.S_ISLNK(info.st_mode):
            raise Rejected(f"{path.relative_to(folder)} is a symbolic link; submit the notebook itself")
        if kind == "folder" and not stat.S_ISDIR(info.st_mode):
            raise Rejected(f"{path.relative_to(folder)} is not a folder")
    _check_folder(path.parent, folder)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as err:
        raise Rejected(f"the notebook could not be opened ({err.strerror})") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise Rejected("the notebook is not a regular file (a device, FIFO or socket)")
        if info.st_size > MAX_NOTEBOOK_BYTES:
            raise Rejected(f"the notebook is {info.st_size} bytes, over the {MAX_NOTEBOOK_BYTES} byte limit")
        data = f.read(MAX_NOTEBOOK_BYTES + 1)
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise Rejected(f"the notebook is over the {MAX_NOTEBOOK_BYTES} byte limit")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise Rejected(f"the notebook is not UTF-8 text (byte {err.start})") from None
    return data


def _check_folder(top: Path, folder: Path) -> None:
    """Every entry under the submission folder is a regular file or a folder (nbgrader copies them all)."""
    seen, size, todo = 0, 0, [top]
    while todo:
        with os.scandir(todo.pop()) as entries:
            for entry in entries:
                seen += 1
                if seen > MAX_ENTRIES:
                    raise Rejected(f"the submission folder holds more than {MAX_ENTRIES} files")
                name = Path(entry.path).relative_to(folder)
                if entry.is_symlink():
                    raise Rejected(f"{name} is a symbolic link; hand in plain files only")
                if entry.is_dir(follow_symlinks=False):
                    todo.append(entry.path)
                elif not entry.is_file(follow_symlinks=False):
                    raise Rejected(f"{name} is not a regular file (a device, FIFO or socket)")
                else:
                    size += entry.stat(follow_symlinks=False).st_size
                    if size > MAX_FOLDER_BYTES:
                        raise Rejected(f"the submission folder holds more than {MAX_FOLDER_BYTES} bytes")


def checked(root: Path, student: str) -> Path:
    """The path to grade for `student`: their notebook if safe, else a stand-in that says why it was not read."""
    folder = root / "submitted"
    try:
        read_notebook(folder, student)
    except Rejected as err:
        return stand_in(student, f"the submission was not read: {err}")
    return folder / student / ASSIGNMENT / NOTEBOOK


def stand_in(student: str, reason: str) -> Path:
    """A notebook with no cells whose metadata holds `reason` (see session.grade_submission)."""
    global _stand_ins
    if _stand_ins is None:
        _stand_ins = tempfile.mkdtemp(prefix="lesson2-rejected-")
        atexit.register(shutil.rmtree, _stand_ins, True)
    nb = nbformat.v4.new_notebook(metadata={REJECTED_KEY: reason})
    path = Path(_stand_ins) / f"{len(os.listdir(_stand_ins))}-{NOTEBOOK}"
    nbformat.write(nb, path)
    return path


def rejection(nb) -> str | None:
    """The reason a stand-in notebook carries, if it is one."""
    reason = nb.get("metadata", {}).get(REJECTED_KEY)
    return str(reason) if reason is not None and not nb.get("cells") else None
