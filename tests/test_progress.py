"""What a long command shows: a progress bar with the rate and the time left, and where the run's time went."""

from grader import FUNCTIONS, course
from grader.progress import autograde_time, progress_bar, where_the_time_went
from grader.sealed.session import FunctionResult, SubmissionResult


def result(student, **timings):
    return SubmissionResult(student, {fn: FunctionResult(1.0) for fn in FUNCTIONS}, timings=timings)


def test_time_line_names_each_start_up_step_the_rate_and_the_mean_parts():
    """Does the run's time line give the start-up by step, the rate, and each part's mean per submission?"""
    timeline = {"start": 100.0, "begin": 102.5, "warm": 103.5, "ready": 104.0, "first": 104.5, "last": 110.0}
    results = [result("a", checks=0.5, **{"student code": 0.25}), result("b", checks=0.25, **{"student code": 0.5})]
    line = where_the_time_went(results, timeline, end=111.0)
    assert "first grade after 4.5 s" in line
    assert "imports and course 2.5" in line and "checks warm-up 1.0" in line and "waiting for the sandbox 0.5" in line
    assert "2 graded in 10.0 s (0.20/s)" in line
    assert "checks 0.375 s" in line and "student code 0.375 s" in line
    assert "results files and class summary 1.0 s" in line


def test_time_line_of_a_cluster_run_leaves_out_the_local_start_up():
    """On Dask (no local warm-up or sandbox), does the line still give the first grade and the rate only?"""
    line = where_the_time_went([result("a")], {"start": 0.0, "begin": 1.0, "first": 3.0, "last": 4.0}, end=4.5)
    assert "first grade after 3.0 s" in line and "warm-up" not in line and "1 graded in 4.0 s" in line


def test_progress_bar_shows_count_rate_and_time_left():
    """Does the bar show done/total, a rate once items complete, and an estimate of the time left?"""
    bar = progress_bar(show=False)
    task = bar.add_task("grading", total=4)
    for _ in range(2):
        bar.advance(task)
    columns = [column.render(bar.tasks[0]) for column in bar.columns]
    shown = " ".join(str(getattr(c, "plain", c)) for c in columns)
    assert "2/4" in shown and "ETA" in shown


def test_autograde_advances_its_bar_as_nbgrader_starts_each_next_student():
    """Does the stock autograde's bar count a student done when nbgrader's log starts the next one?"""
    progress = progress_bar(show=False)
    bar = progress.add_task("grading", total=3)
    done = course.StudentsDone(progress, bar)
    for line in [
        "[AutogradeApp | INFO] Creating/updating student with ID 's1': {}",
        "[AutogradeApp | INFO] Autograding /c/autograded/s1/lesson2_sgd/lesson2_sgd.ipynb",
        "[AutogradeApp | INFO] Creating/updating student with ID 's2': {}",
    ]:
        done(line)
    assert progress.tasks[0].completed == 1
    assert done.started == 2 and done.first is not None


def test_autograde_time_line_gives_nbgrader_start_up_rate_and_seconds_per_submission():
    """Does stock autograde's time line say how long nbgrader took to start, its rate and seconds per notebook?"""
    line = autograde_time({"start": 10.0, "first": 13.0, "students": 4}, end=31.0)
    assert "first student after 3.0 s" in line and "4 graded in 21.0 s (0.19/s)" in line
    assert "4.50 s per submission" in line
    assert autograde_time({"start": 10.0}, end=31.0) == ""  # nbgrader began no student: nothing to say


def test_nbgrader_log_lines_reach_the_caller_as_they_come(tmp_path):
    """Does the nbgrader runner hand each log line to on_line, and return the same log?"""
    lines = []
    log = course.nbgrader(tmp_path, "--version", on_line=lines.append)
    assert lines and "".join(lines) == log and any(ch.isdigit() for ch in log)
