"""Hidden checks of `cross_entropy(logits, target)`: values, gradients, stability, no built-ins."""

import pytest
import torch
import torch.nn.functional as F

from grader.checks.support import (
    ALL_DEVICES,
    COMPUTE_DEVICES,
    DTYPES,
    FORBIDDEN_OPS,
    OpTracer,
    Say,
    as_value,
    assert_0dim_like,
    assert_value,
    gen,
    loss_grads,
    ratio_hint,
)

SHAPES = [(1, 2), (9, 3), (64, 10), (5, 17)]  # (n, k): k above 10 too


def problem(n, k, scale, dtype, device, seed=0):
    """Random logits (n, k) of the given scale and int64 targets (n,)."""
    g = gen(seed + 31 * n + k)
    logits = scale * torch.randn(n, k, generator=g, dtype=torch.float64)
    target = torch.randint(0, k, (n,), generator=g)
    return logits.to(device, dtype), target.to(device)


@pytest.mark.parametrize("scale", [1.0, 4.0])  # ordinary logits: extreme ones are the stability check's
@pytest.mark.parametrize("n, k", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", COMPUTE_DEVICES)
def test_cross_entropy_value_matches_f_cross_entropy(student, expect, device, dtype, n, k, scale):
    """Is cross_entropy the batch mean of -log softmax(logits)[i, target[i]]?
    cross_entropy 是否等于批次上 -log softmax(logits)[i, target[i]] 的平均值?"""
    logits, target = problem(n, k, scale, dtype, device)
    # before the student's call, which could change its inputs
    expected = expect("value", lambda: F.cross_entropy(logits, target))
    got = as_value(student.cross_entropy(logits, target), expected)
    assert_value(got, expected, Say("The cross-entropy value", "交叉熵的值"), ratio_hint(got, expected, n))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", ALL_DEVICES)
def test_cross_entropy_returns_0dim_tensor_of_input_dtype_and_device(student, device, dtype):
    """Does cross_entropy return a 0-dim tensor with the logits' dtype, on their device?
    cross_entropy 是否返回与 logits 相同 dtype、在同一设备上的 0 维张量?"""
    logits, target = problem(5, 4, 1.0, dtype, "cpu")
    got = student.cross_entropy(logits.to(device), target.to(device))
    assert_0dim_like(got, dtype, device, "cross_entropy")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", COMPUTE_DEVICES)
def test_cross_entropy_gradient_matches_f_cross_entropy(student, expect, device, dtype):
    """Does autograd through your cross_entropy give F.cross_entropy's gradient for the logits?
    对你的 cross_entropy 自动求导,logits 的梯度是否与 F.cross_entropy 的一致?"""
    logits, target = problem(12, 5, 3.0, dtype, device)
    expected = expect("gradient", lambda: loss_grads(F.cross_entropy, "F.cross_entropy", logits, target, wrt=1))
    got = loss_grads(student.cross_entropy, "cross_entropy", logits, target, wrt=1)
    assert_value(got[0], expected[0], Say("The gradient with respect to the logits", "对 logits 的梯度"))


@pytest.mark.parametrize("shift, scale", [(0.0, 30.0), (1e4, 1e4), (-1e4, 1e4)])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", COMPUTE_DEVICES)
def test_cross_entropy_is_stable_for_huge_logits(student, expect, device, dtype, shift, scale):
    """Is cross_entropy finite and right for logits of magnitude 1e4 (no exp overflow or log(0))?
    logits 的量级为 1e4 时,cross_entropy 是否仍有限且正确(exp 不溢出,不出现 log(0))?"""
    logits, target = problem(8, 3, 1.0, dtype, device)
    logits = shift + logits * scale
    expected = expect("value", lambda: F.cross_entropy(logits, target))
    got = as_value(student.cross_entropy(logits, target), expected)
    assert torch.isfinite(got).all(), Say(
        "cross_entropy gave inf or nan for logits of magnitude 1e4: subtract the row maximum before exp "
        "(the log-sum-exp trick).",
        "logits 量级为 1e4 时 cross_entropy 得到了 inf 或 nan:求 exp 之前先减去每行的最大值(log-sum-exp 技巧)。",
    )
    assert_value(got, expected, Say("The cross-entropy value for huge logits", "极大 logits 下的交叉熵值"))


@pytest.mark.parametrize("device", ["cpu", "meta"])
def test_cross_entropy_is_written_from_tensor_operations(student, device):
    """Is cross_entropy built from tensor operations, without F.cross_entropy, log_softmax or nll_loss?
    cross_entropy 是否由张量运算写成,而没有调用 F.cross_entropy、log_softmax 或 nll_loss?"""
    logits, target = problem(7, 3, 1.0, torch.float32, "cpu")
    with OpTracer() as tracer:
        student.cross_entropy(logits.to(device), target.to(device))
    used = sorted(tracer.ops & FORBIDDEN_OPS)
    assert not used, Say(
        f"cross_entropy used {', '.join(used)}: write it from exp, log, sum/logsumexp and "
        "indexing, not cross_entropy, log_softmax, nll_loss or CrossEntropyLoss.",
        f"cross_entropy 用到了 {', '.join(used)}:请用 exp、log、sum/logsumexp 和索引来写,"
        "不要用 cross_entropy、log_softmax、nll_loss 或 CrossEntropyLoss。",
    )


def test_cross_entropy_leaves_inputs_unchanged(student):
    """Does cross_entropy leave logits and target as they were?
    cross_entropy 是否保持 logits 和 target 不变?"""
    logits, target = problem(6, 3, 1.0, torch.float32, "cpu")
    before = logits.clone(), target.clone()
    student.cross_entropy(logits, target)
    assert torch.equal(logits, before[0]) and torch.equal(target, before[1]), Say(
        "cross_entropy modified its inputs in place (e.g. logits -= max): work on a new tensor.",
        "cross_entropy 原地修改了输入(例如 logits -= max):请在新张量上计算。",
    )
