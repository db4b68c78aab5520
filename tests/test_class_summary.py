"""The class summary: grades.csv in nbgrader's export convention, and class_summary.html as a browser shows it."""

import csv
import shutil
import subprocess

import matplotlib.image
import numpy as np
import pytest
from matplotlib.colors import to_rgb

from grader import FUNCTIONS, POINTS, class_summary
from grader.sealed.session import FunctionResult, SubmissionResult

MSE_VALUE = "test_mse_value_matches_reference"
SUM_MISTAKE = "The mse value is wrong. It is n times the expected value: did you sum instead of taking the mean?"


def submission(student, mse_ok, seconds):
    """A sealed result: full marks but for mse, which fails its value check when not mse_ok."""
    functions = {fn: FunctionResult(float(POINTS[fn]), checks={f"test_{fn}_x": "passed"}) for fn in FUNCTIONS}
    functions["mse"] = FunctionResult(
        float(POINTS["mse"]) if mse_ok else 0.0,
        checks={MSE_VALUE: "passed" if mse_ok else "failed"},
        mistakes={} if mse_ok else {MSE_VALUE: SUM_MISTAKE},
    )
    return SubmissionResult(student, functions, seconds=seconds)


@pytest.fixture(scope="module")
def class_of_five(tmp_path_factory):
    results = [submission(f"s{i}", mse_ok=i < 3, seconds=0.5 + i / 10) for i in range(5)]
    folder = tmp_path_factory.mktemp("autograded")
    return results, class_summary.write(folder, results)


def test_grades_csv_has_one_row_per_student_and_a_column_per_function(class_of_five):
    """Does grades.csv hold every student's score per function, the total and the maximum?"""
    results, (grades, _) = class_of_five
    rows = list(csv.DictReader(grades.open()))
    assert list(rows[0]) == ["assignment", "student_id", *FUNCTIONS, "score", "max_score"]
    assert [r["student_id"] for r in rows] == [r.student for r in results]
    total = sum(POINTS.values())
    assert [float(r["score"]) for r in rows] == [total] * 3 + [total - POINTS["mse"]] * 2
    assert {r["mse"] for r in rows[3:]} == {"0"} and {r["max_score"] for r in rows} == {f"{total:g}"}


def test_pass_rates_and_common_mistakes_count_submissions(class_of_five):
    """Are pass rates per check and mistakes per message counted over the class?"""
    results, _ = class_of_five
    assert class_summary.check_pass_rates(results)[MSE_VALUE] == 3 / 5
    assert class_summary.common_mistakes(results) == [(SUM_MISTAKE, 2)]


def test_a_mistake_made_in_two_functions_of_one_submission_counts_once():
    """Is a mistake counted once per submission, however many of its functions made it?"""
    one = submission("s0", mse_ok=False, seconds=1.0)
    one.functions["update"].mistakes = {"test_update_x": SUM_MISTAKE}
    two = submission("s1", mse_ok=False, seconds=1.0)
    assert class_summary.common_mistakes([one, two]) == [(SUM_MISTAKE, 2)]


def screenshot(page, shot, height: int):
    """The page as headless Chromium shows it, 1000 pixels wide: (height, 1000, 3) RGB in 0..1."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "Chromium is missing: `make test` installs it (apt-get install chromium)"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--window-size=1000,{height}",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    return matplotlib.image.imread(shot)[..., :3]


def test_class_summary_page_shows_its_four_figures_in_a_real_browser(class_of_five, tmp_path):
    """Opened in headless Chromium, does the page show the histogram, pass rates, mistakes and runtimes?"""
    _, (_, page) = class_of_five
    pixels = screenshot(page, tmp_path / "report.png", height=2600)
    rows = {}
    for name, colour in class_summary.COLOURS.items():  # each figure's bars are drawn in its own colour
        mask = (np.abs(pixels - np.array(to_rgb(colour))) < 10 / 255).all(axis=-1)
        assert mask.sum() > 2000, f"the {name} figure is not on the page as Chromium shows it"
        rows[name] = np.nonzero(mask)[0].mean()
    assert sorted(rows, key=rows.get) == list(class_summary.COLOURS), f"figures out of order: {rows}"
