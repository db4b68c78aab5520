"""A GPU the sandbox cannot use: the cuda cases skip, and every result says why (grader/sealed/gpu.py).

No GPU has been lent to this project, so these tests pretend one: torch.cuda.is_available() answers True
in the grader's process, while CUDA itself (a CPU build of torch) cannot start anywhere, as it could not
in a sandbox that does not let it.
"""

import json
import subprocess
import sys

from conftest import new_course

from grader import POINTS, course, samples
from grader.checks import support
from grader.sealed import gpu
from grader.sealed.session import Assignment, grade_submission

PRETEND_A_GPU = "import torch\ntorch.cuda.is_available = lambda: True\n"
RUN_MSE_CHECKS = """
import json, lesson_ref
from grader.runner import run_checks
from grader.sealed import gpu
from grader.submission import Submission
gpu.skip_cuda_cases(REASON)
checks = run_checks("mse", Submission.from_module(lesson_ref))
cuda = [(r.outcome, r.message) for r in checks.results if r.device == "cuda"]
print(json.dumps([cuda, checks.score]))
"""


def mse_checks_with_a_pretended_gpu(reason):
    code = PRETEND_A_GPU + RUN_MSE_CHECKS.replace("REASON", repr(reason))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_cuda_cases_skip_saying_why_where_the_sandbox_cannot_use_the_gpu():
    """Where the GPU is unusable in the sandbox, are the cuda cases skipped (with the reason), not failed?"""
    cuda, score = mse_checks_with_a_pretended_gpu("CUDA did not start in a sandboxed worker (probe)")
    assert cuda and all(outcome == "skipped" for outcome, _ in cuda)
    assert all("cannot be used inside the sandbox" in message and "(probe)" in message for _, message in cuda)
    assert score == POINTS["mse"]


def test_without_the_probe_s_verdict_the_cuda_cases_run():
    """Where nothing says the GPU is unusable, do the cuda cases run (and here, with no real CUDA, fail)?"""
    cuda, score = mse_checks_with_a_pretended_gpu(None)
    assert cuda and all(outcome == "failed" for outcome, _ in cuda)
    assert score < POINTS["mse"]


def test_no_worker_is_started_where_no_gpu_is_visible():
    """On a machine without a GPU, does the probe say nothing and start nothing (no zygote needed)?"""
    assert gpu.unusable_gpu(zygote=None) is None


def probe_with_a_pretended_gpu(monkeypatch) -> str | None:
    """gpu.unusable_gpu with a GPU visible to this process, against a real sandboxed worker."""
    import torch

    from grader.sealed.sandbox import Limits
    from grader.sealed.spawn import Zygote

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    zygote = Zygote(Limits())
    try:
        zygote.wait_ready()
        return gpu.unusable_gpu(zygote)
    finally:
        zygote.close()


def test_the_probe_finds_cuda_unusable_in_a_sandboxed_worker(monkeypatch):
    """With a GPU visible to the grader but not to the sandboxed worker, does the probe say why?"""
    reason = probe_with_a_pretended_gpu(monkeypatch)
    assert reason is not None and reason.startswith("CUDA did not start in a sandboxed worker")
    assert "not compiled with CUDA" in reason  # the worker's own error, a CPU build of torch here


def test_the_probe_accepts_a_worker_that_computes_on_the_gpu(monkeypatch):
    """Where the probe's cell prints what a working GPU gives, does the probe let the cuda cases run?"""
    monkeypatch.setattr(gpu, "PROBE", "print(float(2))")  # what the real probe prints where CUDA works
    assert probe_with_a_pretended_gpu(monkeypatch) is None


def test_every_result_says_the_cuda_cases_were_skipped(monkeypatch, tmp_path):
    """Where the cuda cases were skipped for the sandbox, does each student's result say so?"""
    monkeypatch.setattr(support, "CUDA_UNUSABLE", "the probe failed")
    missing = tmp_path / "submitted" / "s1" / "lesson2_sgd" / "lesson2_sgd.ipynb"
    assignment = Assignment({}, {}, "", 30.0)
    result = grade_submission("s1", missing, assignment, zygote=None)
    assert any("could not be used inside the sandbox: the probe failed" in p for p in result.problems)
    monkeypatch.setattr(support, "CUDA_UNUSABLE", None)
    assert not any("inside the sandbox" in p for p in grade_submission("s1", missing, assignment, None).problems)


GRADE_WITH_A_PRETENDED_GPU = """
import runpy, sys
sys.argv = ["grader", "--root", ROOT, "grade", "--jobs", "1"]
runpy.run_module("grader", run_name="__main__")
"""


def test_sealed_grading_with_an_unusable_gpu_gives_full_marks_and_says_why(tmp_path):
    """With a GPU the sandbox cannot use, does `grade` skip the cuda cases, keep the marks and say why?"""
    root = new_course(tmp_path)
    course.release(root)
    samples.write_submissions(root, ["pass_reference"])
    code = PRETEND_A_GPU + GRADE_WITH_A_PRETENDED_GPU.replace("ROOT", repr(str(root)))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, cwd=root)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "GPU could not be used inside the sandbox" in proc.stdout
    assert sum(course.scores(root)["pass_reference"].values()) == sum(POINTS.values())
