"""One SQLAlchemy engine per gradebook and process where submissions are recorded (grader/sealed/recording.py)."""

import os
import sys
from pathlib import Path

import sqlalchemy
from nbgrader.api import Gradebook

from grader.sealed.recording import one_engine_per_database


def test_a_process_reuses_its_engine_and_a_forked_child_makes_its_own(tmp_path):
    """Does one process get one engine per database, and a forked process never its parent's?"""
    create = one_engine_per_database(sqlalchemy.create_engine)
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    engine = create(url, future=True)
    assert create(url, future=True) is engine and create(f"{url}?timeout=60", future=True) is not engine
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write, b"same" if create(url, future=True) is engine else b"own")
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 10) == b"own"


def test_a_gradebook_opened_again_on_the_shared_engine_reads_what_the_last_one_wrote(tmp_path, monkeypatch):
    """After a Gradebook closes (disposing the shared engine's connections), does the next one read its rows?"""
    import nbgrader.api

    monkeypatch.setattr(nbgrader.api, "create_engine", one_engine_per_database(nbgrader.api.create_engine))
    bindir = Path(sys.executable).parent  # a new gradebook shells out to `alembic`, installed beside python
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url) as gb:
        gb.add_student("ada")
        engine = gb.engine
    with Gradebook(url) as gb:
        assert [s.id for s in gb.students] == ["ada"] and gb.engine is engine
