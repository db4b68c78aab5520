"""Fixtures of the hidden checks: `student` is the submission under test (the reference by default)."""

import pytest

import lesson_ref
from grader.runner import SUBMISSION_KEY
from grader.submission import Submission


@pytest.fixture
def student(request) -> Submission:
    """The submission handed in by grader.runner.run_checks; lesson_ref when pytest is run directly."""
    return request.config.stash.get(SUBMISSION_KEY, None) or Submission.from_module(lesson_ref)


DEVICE_MIXUP = ("is not on the expected device", "Expected all tensors to be on the same device")


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem):
    """Turn a device mix-up inside the student's code into advice (it shows first on the meta device)."""
    try:
        return (yield)
    except RuntimeError as err:
        if any(text in str(err) for text in DEVICE_MIXUP):
            raise AssertionError(
                "Your code made a tensor on a fixed device (the CPU) and mixed it with inputs on another device. "
                "Create new tensors on the inputs' device: device=x.device, torch.zeros_like(...), ..."
            ) from None
        raise
