"""Fixtures of the hidden checks: `student` is the submission under test (the reference by default), `expect`."""

import functools

import pytest

import lesson_ref
from grader import expectations
from grader.checks import support
from grader.checks.support import Say
from grader.runner import SUBMISSION_KEY
from grader.submission import Submission


@pytest.fixture
def student(request) -> Submission:
    """The submission handed in by grader.runner.run_checks; lesson_ref when pytest is run directly."""
    return request.config.stash.get(SUBMISSION_KEY, None) or Submission.from_module(lesson_ref)


@pytest.fixture
def expect(request):
    """expect(label, compute): compute()'s value for this case, computed once per course (grader/expectations.py).

    Only for values of the hidden inputs alone: what the reference gives, never anything of the student's.
    """
    return functools.partial(expectations.expect, f"{request.node.path.stem}::{request.node.name}")


DEVICE_MIXUP = ("is not on the expected device", "Expected all tensors to be on the same device")
# what torch says when code needs values a meta tensor does not have (.item(), .tolist(), nonzero, ...);
# `.cpu()` says the same as `.tolist()`, so a device move is judged on a real GPU, not here
META_HAS_NO_DATA = (
    "no data",
    "cannot be called on meta tensors",
    "'meta' backend",
    "with meta tensors",
    "register_meta",
    "meta kernel",
)


def pytest_runtest_setup(item):
    """Skip a cuda case where the sealed grader found the GPU unusable inside its sandbox (grader/sealed/gpu.py)."""
    callspec = getattr(item, "callspec", None)
    if support.CUDA_UNUSABLE and callspec is not None and callspec.params.get("device") == "cuda":
        pytest.skip(f"the GPU cannot be used inside the sandbox on this machine ({support.CUDA_UNUSABLE})")


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem):
    """Turn a device mix-up inside the student's code into advice (it shows first on the meta device).

    On `meta` (shapes, no data), code that reads values (.item(), .tolist(), a loop over a tensor)
    cannot run: that case skips, saying so, and the cpu/cuda cases judge the function.
    """
    try:
        return (yield)
    except (RuntimeError, NotImplementedError) as err:
        if "device type for generator" in str(err):
            raise AssertionError(
                Say(
                    "Your code drew random numbers on another device than the generator's (the data's): on a GPU "
                    "this fails. Draw the permutation on the data's device: "
                    "torch.randperm(n, generator=generator, device=x.device).",
                    "你的代码在与 generator(即数据)不同的设备上生成随机数:在 GPU 上会出错。"
                    "请在数据所在的设备上生成排列:torch.randperm(n, generator=generator, device=x.device)。",
                )
            ) from None
        if any(text in str(err) for text in DEVICE_MIXUP):
            raise AssertionError(
                Say(
                    "Your code made a tensor on a fixed device (the CPU) and mixed it with inputs on another device. "
                    "Create new tensors on the inputs' device: device=x.device, torch.zeros_like(...), ...",
                    "你的代码在固定设备(CPU)上创建了张量,又和另一设备上的输入混用。"
                    "请在输入所在的设备上创建新张量:device=x.device、torch.zeros_like(...) 等。",
                )
            ) from None
        params = getattr(pyfuncitem, "callspec", None)
        if params is not None and params.params.get("device") == "meta":
            if any(text in str(err).lower() for text in META_HAS_NO_DATA):
                pytest.skip("meta tensors hold no data and this code reads values: the cpu/cuda cases judge it")
        raise
