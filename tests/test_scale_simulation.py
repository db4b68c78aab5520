"""benchmarks/scale_simulation.py with a small N: it completes, every submission is in the gradebook, in slices.

End to end: the script releases a course with nbgrader, grades three notebooks for real in the sandbox (what
its stand-in replays) and records every submission with nbgrader's converter (about half a minute).
"""

import json
import re
import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from grader import ASSIGNMENT
from grader.course import NOTEBOOK, ROOT, db_url

pytestmark = pytest.mark.e2e

N = 40


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("scale") / "course"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "scale_simulation.py"), "--n", str(N), "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    return root, proc


def test_the_simulation_completes(run):
    """Does the script exit 0 and say that every submission was graded and is in the gradebook?"""
    _, proc = run
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert f"graded {N}, in the gradebook {N} of {N}" in proc.stdout


def test_every_submission_landed_in_the_gradebook(run):
    """Does nbgrader's gradebook hold one submission per student, each with its grades?"""
    root, _ = run
    with Gradebook(db_url(root)) as gb:
        graded = gb.assignment_submissions(ASSIGNMENT)
        assert len(graded) == N
        assert len({s.student_id for s in graded}) == N
        assert sum(1 for s in graded if s.score > 0) == N - N // 3  # blank_release, every third, scores 0


def test_the_table_has_its_slices_and_its_verdicts(run):
    """Ten slices of N/10 submissions, each with its times and memory, then the time and memory verdicts?"""
    _, proc = run
    number = r" \|\s+([\d.]+)"  # wall s, main CPU s, recording median s, main VmRSS, VmHWM, grading VmHWM
    rows = re.findall(r"^\s+(\d+)-(\d+)" + 6 * number + "$", proc.stdout, re.M)
    assert [(int(a), int(b)) for a, b, *_ in rows] == [(i + 1, i + N // 10) for i in range(0, N, N // 10)]
    assert all(float(wall) > 0 and float(rss) > 0 and float(grading) > 0 for _, _, wall, _, _, rss, _, grading in rows)
    assert re.search(r"^time per submission: .* last/first [\d.]+: (flat|GROWS)", proc.stdout, re.M)
    assert re.search(r"^main process VmRSS: .* over its second half: (only the verdicts|MORE than)", proc.stdout, re.M)


def test_the_outputs_released_after_recording_are_in_autograded(run):
    """Are the outputs the run released once recorded in the autograded notebooks, everyone in sealed_results.json?"""
    root, _ = run
    autograded = nbformat.read(root / "autograded" / "s00000_pass_reference" / ASSIGNMENT / NOTEBOOK, as_version=4)
    assert any("image/png" in o.get("data", {}) for c in autograded.cells if c.cell_type == "code" for o in c.outputs)
    results = json.loads((root / "autograded" / "sealed_results.json").read_text())
    assert len(results["students"]) == N
    assert (root / "autograded" / "class_summary.html").exists() and (root / "autograded" / "grades.csv").exists()
