"""The noise policy: every check call of a student function is judged on its own stderr and warnings."""

import sys
import warnings

import pytest
import torch

import lesson_ref
from grader.runner import run_checks
from grader.submission import NoisyCall, Submission, call_quietly, raise_if_noisy


def warns_once_in_torch(a):
    """float() of a tensor that requires grad: torch warns about it once per process (TORCH_WARN_ONCE)."""
    return float((a * a).sum())


def prints_to_stderr(x):
    print("debug:", x, file=sys.stderr)
    return x


def python_warning(x):
    warnings.warn("careful", UserWarning, stacklevel=1)
    return x


def test_a_quiet_call_returns_its_result_and_no_noise():
    """Does a function that prints nothing come back with its result and an empty noise string?"""
    assert call_quietly(lambda x, y=0: x + y, 2, y=3) == (5, "")


def test_stderr_output_is_the_noise_and_does_not_leak(capfd):
    """Is what a call writes to sys.stderr returned as its noise, and kept off the real stderr?"""
    result, noise = call_quietly(prints_to_stderr, 7)
    assert result == 7 and noise == "debug: 7\n"
    assert capfd.readouterr().err == ""


def test_a_python_warning_is_caught_on_every_call():
    """Is a Python warning caught on each call, though the default filter would show it only once?"""
    for _ in range(3):
        _, noise = call_quietly(python_warning, 1)
        assert "UserWarning: careful" in noise


def test_a_torch_warn_once_warning_is_caught_on_every_call_whatever_ran_before(capfd):
    """Is torch's once-per-process warning caught on every call, even after it was shown outside a call?"""
    a = torch.nn.Parameter(torch.ones(2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warns_once_in_torch(a)  # torch now considers this warning shown
    for _ in range(3):
        result, noise = call_quietly(warns_once_in_torch, a)
        assert result == 2.0 and "requires_grad=True to a scalar" in noise
    assert capfd.readouterr().err == ""


def test_call_quietly_restores_torch_and_the_warning_filters():
    """After a call, are torch's warn-always flag, the warning filters and sys.stderr as they were?"""
    flag, filters, stderr = torch.is_warn_always_enabled(), list(warnings.filters), sys.stderr
    call_quietly(python_warning, 1)
    with pytest.raises(ZeroDivisionError):
        call_quietly(lambda: 1 / 0)
    assert (torch.is_warn_always_enabled(), warnings.filters, sys.stderr) == (flag, filters, stderr)


def test_raise_if_noisy_is_silent_for_no_noise():
    """Does an empty noise string pass?"""
    raise_if_noisy("mse", "")


def test_raise_if_noisy_names_the_warning_but_never_quotes_the_text():
    """Does NoisyCall name the function and the warning's category, in English and Chinese, without the text
    (printed on the hidden inputs, which feedback must not show)?"""
    noise = "cell.py:3: UserWarning: y_hat was [0.6613521575927734]\nFakeWarning: 0.25\nshapes (13,)"
    with pytest.raises(NoisyCall) as err:
        raise_if_noisy("mse", noise)
    message = str(err.value)
    assert "`mse` wrote to stderr or raised a warning (UserWarning)" in message
    assert "向 stderr 输出或触发了警告" in message
    assert not any(secret in message for secret in ("0.66", "0.25", "13", "FakeWarning", "shapes"))


def test_submission_calls_fail_with_noisy_call_every_time():
    """Does every call of a noisy student function through Submission raise NoisyCall, not just the first?"""
    a = torch.nn.Parameter(torch.ones(2))
    submission = Submission({"mse": lambda y_hat, y: warns_once_in_torch(a)})
    for _ in range(3):
        with pytest.raises(NoisyCall, match=r"raised a warning \(UserWarning\)"):
            submission.mse(None, None)


def test_a_noisy_mse_fails_its_checks_without_showing_the_printed_text():
    """Does a correct mse that prints to stderr fail its checks, the message saying so but not what it printed?"""

    def mse(y_hat, y):
        print("shapes", tuple(y_hat.shape), file=sys.stderr)
        return lesson_ref.mse(y_hat, y)

    checks = run_checks("mse", Submission({"mse": mse}))
    assert not checks.passed
    assert all(r.message.startswith("`mse` wrote to stderr") for r in checks.failed)
    assert "shapes" not in checks.summary()


def test_an_exception_from_student_code_is_named_but_its_message_withheld():
    """Does a function that raises with the hidden inputs in its message lose points, the feedback naming the
    exception but never its text?"""

    def mse(y_hat, y):
        raise ValueError(f"inputs were {y_hat.tolist()}")

    checks = run_checks("mse", Submission({"mse": mse}))
    assert checks.score == 0
    assert "your function raised ValueError" in checks.summary() and "inputs were" not in checks.summary()


def test_the_checks_own_messages_are_still_shown():
    """Does a wrong mse still get the checks' own explanation (a sum instead of a mean)?"""
    checks = run_checks("mse", Submission({"mse": lambda y_hat, y: ((y_hat - y) ** 2).sum()}))
    assert "sum" in checks.summary() and "your function raised" not in checks.summary()


def test_a_quiet_submission_is_unaffected():
    """Does the reference, which prints nothing, still pass every mse check through the noise policy?"""
    assert run_checks("mse", Submission.from_module(lesson_ref)).passed
