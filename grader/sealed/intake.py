"""Submissions read only as regular files inside their folder: no symlinks, devices, FIFOs, huge or non-UTF-8 files.

`take(notebook)` reads a submitted notebook once, where it is graded (a local grading process, or the
Dask client that ships the bytes), and returns its bytes or why it was not read: that student gets a
clear message and a 0, and nothing outside the submission folder (say, a symlink to source/) is ever
read or shown in feedback (recording.py never lets nbgrader read a refused submission).
"""

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from grader import ASSIGNMENT
from grader.course import NOTEBOOK

MAX_NOTEBOOK_BYTES = 32 * 2**20
MAX_CELLS = 2000  # cells of one notebook (the lesson has about 40); nbgrader's converter pays for each
MAX_ENTRIES = 1000  # files and folders in one submission folder
MAX_FOLDER_BYTES = 64 * 2**20  # all of them together


@dataclass(frozen=True)
class Handed:
    """What a student handed in, as read once: the notebook's bytes (None: no notebook), or why it was refused."""

    data: bytes | None = None
    rejected: str | None = None


class Rejected(ValueError):
    """The submitted notebook cannot be read safely; the message says why."""


def read_notebook(folder: Path, student: str) -> bytes | None:
    """The bytes of submitted/<student>/<assignment>/<notebook>, or None if there is none.

    Every step is checked without following links: the student's folder and the assignment folder must be
    real folders and the notebook a regular file of at most MAX_NOTEBOOK_BYTES of UTF-8 text.
    """
    path = _checked_path(folder, student)
    if path is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as err:
        raise Rejected(f"the notebook could not be opened ({err.strerror})") from None
    with os.fdopen(fd, "rb") as f:
        _check_file(os.fstat(f.fileno()))
        data = f.read(MAX_NOTEBOOK_BYTES + 1)
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise Rejected(f"the notebook is over the {MAX_NOTEBOOK_BYTES} byte limit")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise Rejected(f"the notebook is not UTF-8 text (byte {err.start})") from None
    return data


def _checked_path(folder: Path, student: str) -> Path | None:
    """The notebook's path once its folders, itself and every file beside it pass the checks (None: no notebook)."""
    path = folder
    for part, kind in ((student, "folder"), (ASSIGNMENT, "folder"), (NOTEBOOK, "file")):
        path = path / part
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            if kind == "file":  # no notebook: nbgrader still copies whatever else was handed in
                _check_folder(path.parent, folder)
            return None
        except OSError as err:
            raise Rejected(f"{path.relative_to(folder)} could not be read ({err.strerror})") from None
        if stat.S_ISLNK(info.st_mode):
            raise Rejected(f"{path.relative_to(folder)} is a symbolic link; submit the notebook itself")
        if kind == "folder" and not stat.S_ISDIR(info.st_mode):
            raise Rejected(f"{path.relative_to(folder)} is not a folder")
    _check_file(info)
    _check_folder(path.parent, folder)
    return path


def _check_file(info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise Rejected("the notebook is not a regular file (a device, FIFO or socket)")
    if info.st_size > MAX_NOTEBOOK_BYTES:
        raise Rejected(f"the notebook is {info.st_size} bytes, over the {MAX_NOTEBOOK_BYTES} byte limit")


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


def take(notebook: Path) -> Handed:
    """submitted/<student>/<assignment>/<notebook>, read once within the limits above, or why it was refused."""
    try:
        return Handed(read_notebook(*_folder_and_student(notebook)))
    except Rejected as err:
        return Handed(rejected=f"the submission was not read: {err}")


def refusal(notebook: Path) -> str | None:
    """Why nbgrader must not read this submission (a link, device, FIFO, too much), checked without reading it."""
    try:
        _checked_path(*_folder_and_student(notebook))
    except Rejected as err:
        return f"the submission was not read: {err}"
    return None


def _folder_and_student(notebook: Path) -> tuple[Path, str]:
    if notebook.name != NOTEBOOK or notebook.parent.name != ASSIGNMENT:
        raise ValueError(f"{notebook} is not a submitted {ASSIGNMENT}/{NOTEBOOK}")
    return notebook.parents[2], notebook.parents[1].name
