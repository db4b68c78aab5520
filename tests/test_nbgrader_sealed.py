"""`nbgrader autograde` itself grades sealed (nbgrader_config.py's GRADING): the same as `python -m grader grade`.

One course, three copies: graded by `python -m grader grade`, by `nbgrader autograde` with the config's sealed
steps, and by `nbgrader autograde` in the students' kernels (LESSON2_GRADING=in-kernel), the honest samples
and hostile notebooks alike.
"""

import shutil

import nbformat
import pytest
from conftest import new_course
from test_sealed import ATTACKS, attack_settings, grade, write_notebook

from grader import ASSIGNMENT, course, samples
from grader.course import NOTEBOOK

HONEST = ["pass_reference", "pass_alternative_idioms", "fail_mse_sum", "blank_release"]
HOSTILE = ["patch_torch_helpers_at_top_level", "displayhook_partial_credit_forgery", "read_the_source_notebook"]
STUDENTS = [*HONEST, *(f"attack_{name}" for name in HOSTILE), "broken_symlink_to_the_source_notebook"]


@pytest.fixture(scope="module")
def three_ways(tmp_path_factory):
    """(grade's course, nbgrader autograde sealed's, nbgrader autograde in-kernel's, the sealed run's log)."""
    cli = new_course(tmp_path_factory.mktemp("cli"))
    course.release(cli)
    samples.write_submissions(cli, HONEST)
    release_nb = nbformat.read(cli / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    solutions = samples.solution_sources(nbformat.read(cli / "source" / ASSIGNMENT / NOTEBOOK, as_version=4))
    for name in HOSTILE:
        code = {attack_settings(name)["TARGET"]: (ATTACKS / f"{name}.py").read_text()}
        write_notebook(cli, f"attack_{name}", samples.filled_notebook(release_nb, solutions, code))
    link = write_notebook(cli, "broken_symlink_to_the_source_notebook", release_nb)
    ways = [cli, tmp_path_factory.mktemp("sealed"), tmp_path_factory.mktemp("in_kernel")]
    for copy in ways[1:]:
        shutil.copytree(cli, copy, dirs_exist_ok=True, symlinks=True)
    for root in ways:  # the link points into its own course
        target = root / link.relative_to(cli)
        target.unlink()
        target.symlink_to(root / "source" / ASSIGNMENT / NOTEBOOK)
    proc = grade(cli)
    assert proc.returncode in (0, 1), proc.stdout[-3000:] + proc.stderr[-3000:]
    log = course.nbgrader(ways[1], "autograde", ASSIGNMENT, "--force", allow_failed_students=True, grading="sealed")
    course.autograde(ways[2], grading="in-kernel")
    return (*ways, log)


@pytest.mark.parametrize("student", STUDENTS)
def test_nbgrader_autograde_gives_the_scores_grade_gives(three_ways, student):
    """Does `nbgrader autograde`, sealed by the course's config, score this notebook as `python -m grader grade`?"""
    cli, sealed, *_ = three_ways
    assert course.scores(sealed)[student] == course.scores(cli)[student]


@pytest.mark.parametrize("student", STUDENTS)
def test_nbgrader_autograde_leaves_the_gradebook_grade_leaves(three_ways, student):
    """Is every gradebook field formgrader reads (scores, manual grading, comments, lateness) the same after
    `nbgrader autograde` sealed as after `python -m grader grade`, timestamps of the runs aside?"""
    cli, sealed, *_ = three_ways
    want, got = course.gradebook_state(cli)[student], course.gradebook_state(sealed)[student]
    assert got["grades"] == want["grades"]
    assert got["comments"] == want["comments"]
    assert _without_run_times(got["submission"]) == _without_run_times(want["submission"])


def _without_run_times(submission: dict) -> dict:
    return {k: v for k, v in submission.items() if k not in ("timestamp",)}


@pytest.mark.parametrize("student", HONEST)
def test_feedback_notebooks_match_between_the_two_entry_points(three_ways, student):
    """Does the autograded notebook hold the same cells and kinds of output after either entry point?"""
    cli, sealed, *_ = three_ways

    def cells(root):
        nb = nbformat.read(root / "autograded" / student / ASSIGNMENT / NOTEBOOK, as_version=4)
        return [(c.source, [o.output_type for o in c.get("outputs", [])]) for c in nb.cells]

    assert cells(sealed) == cells(cli)


def test_the_hidden_tests_are_not_in_nbgrader_autogrades_feedback(three_ways):
    """After `nbgrader autograde` sealed, does no autograded notebook hold a hidden test block?"""
    _, sealed, *_ = three_ways
    for path in (sealed / "autograded").glob(f"*/{ASSIGNMENT}/{NOTEBOOK}"):
        assert "BEGIN HIDDEN TESTS" not in path.read_text(), path


def test_the_log_says_which_mode_graded(three_ways):
    """Does nbgrader's own log say that each student was graded sealed, and who the workers were?"""
    *_, log = three_ways
    for student in HONEST:
        assert f"grading {student} sealed: workers run as" in log


def test_in_kernel_grading_is_what_the_switch_gives_back(three_ways):
    """With LESSON2_GRADING=in-kernel, is it stock nbgrader again: the notebook that patches torch's comparisons
    at import gets the mse points sealed grading refuses it?"""
    cli, sealed, in_kernel, _ = three_ways
    student = "attack_patch_torch_helpers_at_top_level"
    assert course.scores(in_kernel)[student]["mse"] == 4
    assert course.scores(sealed)[student]["mse"] == course.scores(cli)[student]["mse"] == 0
    for honest in HONEST:
        assert course.scores(in_kernel)[honest] == course.scores(sealed)[honest]


def test_a_link_to_the_source_notebook_leaves_no_solution_in_autograded(three_ways):
    """Where a submission is a link to the instructor's notebook, does `nbgrader autograde` sealed keep none of
    its text in autograded/ (nbgrader removes what it wrote), and score it 0?"""
    _, sealed, *_ = three_ways
    student = "broken_symlink_to_the_source_notebook"
    assert set(course.scores(sealed)[student].values()) == {0.0}
    left = sealed / "autograded" / student / ASSIGNMENT / NOTEBOOK
    assert not left.exists() or "BEGIN SOLUTION" not in left.read_text()
