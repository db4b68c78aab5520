"""autograded/sealed_results.json: every verdict of the run, written one student at a time, valid JSON."""

import dataclasses
import json

from grader import FUNCTIONS
from grader.sealed.batch import write_results
from grader.sealed.session import FunctionResult, SubmissionResult


def result(student: str, message: str) -> SubmissionResult:
    verdict = FunctionResult(2.5, message, lost=["a check"], checks={"a check": "failed"})
    return SubmissionResult(student, {fn: verdict for fn in FUNCTIONS}, [f"{student}: a problem"], seconds=1.23456)


def test_the_results_file_is_the_json_of_every_result(tmp_path):
    """Does sealed_results.json read back as every student's verdicts, problems and time, odd text included?"""
    results = [result("s1", 'quotes " and \\ and\nnewlines, 中文'), result("s2 \u2028", "")]
    data = json.loads(write_results(tmp_path, results).read_text())
    assert list(data["students"]) == ["s1", "s2 \u2028"]
    for r in results:
        entry = data["students"][r.student]
        assert entry["functions"] == {fn: dataclasses.asdict(v) for fn, v in r.functions.items()}
        assert entry["problems"] == r.problems and entry["seconds"] == 1.235
    assert data["generated"].startswith("by `python -m grader grade`")


def test_an_empty_run_writes_an_empty_results_file(tmp_path):
    """With no submission, is the file still valid JSON with no students?"""
    assert json.loads(write_results(tmp_path, []).read_text())["students"] == {}
