"""nbgrader's whole cycle around sealed grading, through a real exchange directory, as a course runs it.

release_assignment, then three students fetch, fill in and submit (one after the due date), collect,
`grade` (sealed), formgrader's view through nbgrader's own NbGraderAPI (what its handlers serve),
generate_feedback, release_feedback, each student's fetch_feedback, and export.
"""

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import new_course
from nbgrader.api import Gradebook
from nbgrader.apps.api import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from grader import ASSIGNMENT, POINTS, course, samples
from grader.course import NOTEBOOK, ROOT
from grader.sealed.batch import grade_course

COURSE = "lesson2_sgd_course"
STUDENTS = {"alice": "pass_reference", "bob": "fail_minibatch_sgd_no_shuffle", "carol": "pass_alternative_idioms"}
LATE = "carol"


def as_student(student, home, exchange, *args):
    """An nbgrader command run by a student in their own home folder, as that student (`--student`)."""
    bindir = Path(sys.executable).parent
    env = {**os.environ, "USER": student, "LOGNAME": student, "HOME": str(home), "PATH": f"{bindir}:/usr/bin:/bin"}
    proc = subprocess.run(
        [str(bindir / "nbgrader"), *args, f"--course={COURSE}", f"--Exchange.root={exchange}", f"--student={student}"],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cycle")
    root, exchange = new_course(tmp / "course"), tmp / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    with open(root / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.Exchange.root = {str(exchange)!r}\n")
    course.release(root)
    course.nbgrader(root, "release_assignment", ASSIGNMENT)
    source_nb = nbformat.read(root / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    homes = {}
    for student, sample in STUDENTS.items():
        if student == LATE:  # the due date falls between the others' submissions and this one
            time.sleep(1.1)
            with Gradebook(course.db_url(root)) as gb:
                gb.update_or_create_assignment(ASSIGNMENT, duedate=time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()))
            time.sleep(1.1)
        home = homes[student] = tmp / "home" / student
        home.mkdir(parents=True)
        as_student(student, home, exchange, "fetch_assignment", ASSIGNMENT)
        fetched = home / ASSIGNMENT / NOTEBOOK
        release_nb = nbformat.read(fetched, as_version=4)
        nbformat.write(samples.sample_notebook(samples.SAMPLES_DIR / f"{sample}.py", release_nb, source_nb), fetched)
        as_student(student, home, exchange, "submit", ASSIGNMENT)
    course.nbgrader(root, "collect", ASSIGNMENT)
    results = {r.student: r for r in grade_course(root, jobs=2, show_progress=False)}
    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.course_id = COURSE
    config.CourseDirectory.db_url = course.db_url(root)
    config.Exchange.root = str(exchange)
    formgrader = NbGraderAPI(CourseDirectory(config=config), config=config)
    course.nbgrader(root, "generate_feedback", ASSIGNMENT)
    course.nbgrader(root, "release_feedback", ASSIGNMENT)
    for student, home in homes.items():
        as_student(student, home, exchange, "fetch_feedback", ASSIGNMENT)
    course.nbgrader(root, "export")
    return root, homes, results, formgrader


def test_collected_submissions_are_graded_with_their_timestamps(cycle):
    """Are the collected students graded, each with the timestamp nbgrader submit recorded?"""
    root, _, results, _ = cycle
    assert sorted(results) == sorted(STUDENTS)
    state = course.gradebook_state(root)
    for student, sample in STUDENTS.items():
        assert course.scores(root)[student] == samples.expected_scores(sample)
        stamp = (root / "submitted" / student / ASSIGNMENT / "timestamp.txt").read_text()
        assert state[student]["submission"]["timestamp"][:19] == stamp[:19].replace(" ", "T")


def test_only_the_submission_after_the_due_date_is_late(cycle):
    """Is the one submission made after the due date late, and the others not?"""
    root, _, _, _ = cycle
    late = {s: v["submission"]["total_seconds_late"] for s, v in course.gradebook_state(root).items()}
    assert late[LATE] > 0 and all(late[s] == 0 for s in STUDENTS if s != LATE)


def test_formgrader_shows_every_submission_autograded_with_its_score(cycle):
    """Does formgrader (nbgrader's own API behind its handlers) list each student as autograded, with the
    score out of 20, a timestamp, and nothing waiting for manual grading?"""
    _, _, _, formgrader = cycle
    rows = {row["student"]: row for row in formgrader.get_submissions(ASSIGNMENT)}
    assert sorted(rows) == sorted(STUDENTS)
    for student, sample in STUDENTS.items():
        row = rows[student]
        assert row["autograded"] and row["submitted"] and row["timestamp"]
        assert row["score"] == sum(samples.expected_scores(sample).values())
        assert row["max_score"] == sum(POINTS.values()) and row["needs_manual_grade"] is False
    for student in STUDENTS:  # formgrader's "failed tests" flag: a test cell short of its points
        [notebook] = formgrader.get_student_notebook_submissions(student, ASSIGNMENT)
        assert notebook["max_score"] == sum(POINTS.values())
        assert notebook["failed_tests"] is (student == "bob")


def fetched_feedback(home) -> str:
    [page] = (home / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html")
    return page.read_text()


def test_students_fetch_feedback_with_their_plots_and_bilingual_messages(cycle):
    """Does each student fetch a feedback page with their plots as images and, where points were lost,
    the bilingual explanation?"""
    _, homes, _, _ = cycle
    for student, home in homes.items():
        page = fetched_feedback(home)
        assert page.count('src="data:image/png;base64,') >= 5, student  # the lesson's plots, drawn inline
    bob = fetched_feedback(homes["bob"])
    assert "The rows came in their original order" in bob and "行按原来的顺序出现" in bob


def test_feedback_holds_no_hidden_test_and_no_hidden_input(cycle):
    """Is every hidden test's source, and every line of the hidden checks, absent from the feedback?"""
    _, homes, _, _ = cycle
    check_lines = {
        line.strip()
        for path in (ROOT / "grader" / "checks").glob("*.py")
        for line in path.read_text().splitlines()
        if len(line.strip()) > 40
    }
    for home in homes.values():
        page = fetched_feedback(home)
        for marker in ("BEGIN HIDDEN TESTS", "grader.hidden", "award("):
            assert marker not in page
        assert not [line for line in check_lines if line in page]


def test_export_has_every_student_with_timestamp_and_writes_no_csv_in_the_course_root(cycle):
    """Does `nbgrader export` list every student with a timestamp and score, into autograded/, not the root?"""
    root, _, _, _ = cycle
    assert not (root / "grades.csv").exists()
    rows = {r["student_id"]: r for r in csv.DictReader((root / "autograded" / "nbgrader_export.csv").open())}
    assert sorted(rows) == sorted(STUDENTS)
    for student, sample in STUDENTS.items():
        assert rows[student]["timestamp"] and float(rows[student]["score"]) == sum(
            samples.expected_scores(sample).values()
        )
