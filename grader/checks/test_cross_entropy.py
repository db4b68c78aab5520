"""Hidden checks of `cross_entropy(logits, target)`: values, gradients, stability, no built-ins."""

import pytest
import torch
import torch.nn.functional as F

from grader.checks.support import (ALL_DEVICES, COMPUTE_DEVICES, DTYPES, FORBIDDEN_OPS, OpTracer, assert_0dim_like,
                                   assert_value, gen, loss_grads, ratio_hint)

SHAPES = [(1, 2), (9, 3), (64, 10)]  # (n, k)


def problem(n, k, scale, dtype, device, seed=0):
    """Random logits (n, k) of the given scale and int64 targets (n,)."""
    g = gen(seed + 31 * n + k)
    logits = scale * torch.randn(n, k, generator=g, dtype=torch.float64)
    target = torch.randint(0, k, (n,), generator=g)
    return logits.to(device, dtype), target.to(device)


@pytest.mark.parametrize("scale", [1.0, 30.0])
@pytest.mark.parametrize("n, k", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", COMPUTE_DEVICES)
def test_cross_entropy_value_matches_f_cross_entropy(student, device, dtype, n, k, scale):
    """Is cross_entropy the batch mean of -log softmax(logits)[i, target[i]]?"""
    logits, target = problem(n, k, scale, dtype, device)
    expected = F.cross_entropy(logits, target)  # before the student's call, which could change its inputs
    got = student.cross_entropy(logits, target)
    assert isinstance(got, torch.Tensor), f"cross_entropy returned {type(got).__name__}; return a tensor."
    assert_value(got, expected, "The cross-entropy value", ratio_hint(got, expected, n))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", ALL_DEVICES)
def test_cross_entropy_returns_0dim_tensor_of_input_dtype_and_device(student, device, dtype):
    """Does cross_entropy return a 0-dim tensor with the logits' dtype, on their device?"""
    logits, target = problem(5, 4, 1.0, dtype, "cpu")
    got = student.cross_entropy(logits.to(device), target.to(device))
    assert_0dim_like(got, dtype, device, "cross_entropy")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", COMPUTE_DEVICES)
def test_cross_entropy_gradient_matches_f_cross_entropy(student, device, dtype):
    """Does autograd through your cross_entropy give F.cross_entropy's gradient for the logits?"""
    logits, target = problem(12, 5, 3.0, dtype, device)
    got = loss_grads(student.cross_entropy, "cross_entropy", logits, target, wrt=1)
    expected = loss_grads(F.cross_entropy, "F.cross_entropy", logits, target, wrt=1)
    assert_value(got[0], expected[0], "The gradient with respect to the logits")


def test_cross_entropy_passes_gradcheck(student):
    """Is the gradient of your cross_entropy right by finite differences (float64)?"""
    logits, target = problem(6, 4, 1.0, torch.float64, "cpu")
    ok = torch.autograd.gradcheck(lambda z: student.cross_entropy(z, target), (logits.requires_grad_(),),
                                  raise_exception=False)
    assert ok, "Finite differences disagree with autograd through your cross_entropy."


@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", COMPUTE_DEVICES)
def test_cross_entropy_is_stable_for_huge_logits(student, device, dtype, sign):
    """Is cross_entropy finite and right for logits of magnitude 1e4 (no exp overflow or log(0))?"""
    logits, target = problem(8, 3, 1.0, dtype, device)
    logits = sign * 1e4 + logits * 1e4
    expected = F.cross_entropy(logits, target)
    got = student.cross_entropy(logits, target)
    assert torch.isfinite(got), (
        f"cross_entropy gave {got.item()} for logits near {sign * 1e4:g}: subtract the row maximum before exp "
        "(the log-sum-exp trick).")
    assert_value(got, expected, "The cross-entropy value for huge logits")


@pytest.mark.parametrize("device", ["cpu", "meta"])
def test_cross_entropy_is_written_from_tensor_operations(student, device):
    """Is cross_entropy built from tensor operations, without F.cross_entropy, log_softmax or nll_loss?"""
    logits, target = problem(7, 3, 1.0, torch.float32, "cpu")
    with OpTracer() as tracer:
        student.cross_entropy(logits.to(device), target.to(device))
    used = sorted(tracer.ops & FORBIDDEN_OPS)
    assert not used, (f"cross_entropy used {', '.join(used)}: write it from exp, log, sum/logsumexp and indexing, "
                      "not cross_entropy, log_softmax, nll_loss or CrossEntropyLoss.")


def test_cross_entropy_leaves_inputs_unchanged(student):
    """Does cross_entropy leave logits and target as they were?"""
    logits, target = problem(6, 3, 1.0, torch.float32, "cpu")
    before = logits.clone(), target.clone()
    student.cross_entropy(logits, target)
    assert torch.equal(logits, before[0]) and torch.equal(target, before[1]), (
        "cross_entropy modified its inputs in place (e.g. logits -= max): work on a new tensor.")
