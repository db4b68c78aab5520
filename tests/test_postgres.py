"""The gradebook on PostgreSQL (nbgrader's db_url), for graders on several machines: a server on loopback."""

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile

import pytest
from conftest import new_course

from grader import samples
from grader.course import db_url, scores


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(*args):
    """Run a PostgreSQL tool as the postgres user when we are root (the server refuses to run as root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*prefix, *args], check=True, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def postgres_url():
    """A throwaway PostgreSQL server on 127.0.0.1 with an empty `gradebook` database."""
    bindir = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    assert bindir, "PostgreSQL is missing: `make test` installs it (apt-get install postgresql)"
    data = tempfile.mkdtemp(prefix="lesson2-pg-")
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
    port = free_port()
    as_postgres(f"{bindir[-1]}/initdb", "-D", data, "-A", "trust", "-U", "postgres")
    as_postgres(
        f"{bindir[-1]}/pg_ctl",
        "-D",
        data,
        "-w",
        "-l",
        f"{data}/log",
        "-o",
        f"-h 127.0.0.1 -p {port} -k {data}",
        "start",
    )
    try:
        as_postgres(f"{bindir[-1]}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "gradebook")
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/gradebook"
    finally:
        as_postgres(f"{bindir[-1]}/pg_ctl", "-D", data, "-m", "immediate", "stop")
        shutil.rmtree(data, ignore_errors=True)


def test_course_grades_into_postgresql_when_db_url_says_so(postgres_url, tmp_path):
    """With CourseDirectory.db_url set, do release and sealed grading use PostgreSQL, and no SQLite file?"""
    root = new_course(tmp_path)
    with open(root / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.CourseDirectory.db_url = {postgres_url!r}\n")
    assert db_url(root) == postgres_url
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "--root", str(root), "demo", "--jobs", "2"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert scores(root) == {name: samples.expected_scores(name) for name in samples.sample_names()}
    assert not (root / "gradebook.db").exists()
