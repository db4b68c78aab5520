"""Hidden checks of `mse(y_hat, y)`: values, shape, dtype, device and gradients."""

import pytest
import torch

import lesson_ref
from grader.checks.support import (
    ALL_DEVICES,
    COMPUTE_DEVICES,
    DTYPES,
    NO_HINT,
    Say,
    as_value,
    assert_0dim_like,
    assert_value,
    gen,
    loss_grads,
    ratio_hint,
)

# (n, scale, offset): other lengths than the lesson's 100, values far from its range
CASES = [(1, 1.0, 0.0), (13, 1e-3, 0.0), (257, 1e3, -500.0)]


def pair(n, scale, offset, dtype, device, seed=0):
    g = gen(seed + n)
    y_hat = offset + scale * torch.randn(n, generator=g, dtype=torch.float64)
    y = offset + scale * torch.randn(n, generator=g, dtype=torch.float64)
    return y_hat.to(device, dtype), y.to(device, dtype)


@pytest.mark.parametrize("n, scale, offset", CASES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", COMPUTE_DEVICES)
def test_mse_value_matches_reference(student, expect, device, dtype, n, scale, offset):
    """Is mse the mean of the squared differences, for any length and range of values?
    mse 是否等于差的平方的平均值(任意长度、任意数值范围)?"""
    y_hat, y = pair(n, scale, offset, dtype, device)
    # before the student's call, which could change its inputs
    expected = expect("value", lambda: lesson_ref.mse(y_hat, y))
    got = as_value(student.mse(y_hat, y), expected)
    assert_value(got, expected, Say("The mse value", "mse 的值"), ratio_hint(got, expected, n))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", ALL_DEVICES)
def test_mse_returns_0dim_tensor_of_input_dtype_and_device(student, device, dtype):
    """Does mse return a 0-dim tensor with the inputs' dtype, on the inputs' device?
    mse 是否返回与输入相同 dtype、在同一设备上的 0 维张量?"""
    y_hat, y = pair(9, 1.0, 0.0, dtype, "cpu")
    assert_0dim_like(student.mse(y_hat.to(device), y.to(device)), dtype, device, "mse")


# how many of the rows fit exactly (y_hat == y): there the right gradient is 0, and a formula through sqrt, abs,
# log or hypot of the difference has none (nan): an mse written as rmse ** 2 is right everywhere else
FITS = ["no", "some", "every"]


def fitted_pair(fit, dtype, device):
    """pair()'s values, with no, every third or every row of y_hat equal to y."""
    y_hat, y = pair(31, 2.0, 1.0, dtype, device)
    rows = {"no": slice(0, 0), "some": slice(None, None, 3), "every": slice(None)}[fit]
    y_hat = y_hat.clone()
    y_hat[rows] = y[rows]
    return y_hat, y


EXACT_FIT = Say(
    "It is nan or infinite where y_hat equals y (a perfect fit), where the right gradient is 0: a square root, "
    "abs, log or hypot of the differences has no derivative at 0. Square the differences themselves, as in "
    "((y_hat - y) ** 2).mean().",
    "在 y_hat 等于 y 的地方(完美拟合)它是 nan 或无穷大,而正确的梯度是 0:差值的平方根、abs、log 或 hypot 在 0 处"
    "没有导数。请直接对差值求平方,例如 ((y_hat - y) ** 2).mean()。",
)


@pytest.mark.parametrize("fit", FITS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", COMPUTE_DEVICES)
def test_mse_gradient_matches_reference(student, expect, device, dtype, fit):
    """Does autograd through your mse give the right gradients for y_hat and y (graph kept), at a perfect fit too?
    对你的 mse 做自动求导,y_hat 和 y 的梯度是否正确(计算图保留),在完美拟合处也正确?"""
    y_hat, y = fitted_pair(fit, dtype, device)
    expected = expect("gradients", lambda: loss_grads(lesson_ref.mse, "mse", y_hat, y, wrt=2))
    got = loss_grads(student.mse, "mse", y_hat, y, wrt=2)
    undefined = fit != "no" and not all(torch.isfinite(g).all() for g in got)
    hint = EXACT_FIT if undefined else NO_HINT
    assert_value(got[0], expected[0], Say("The gradient with respect to y_hat", "对 y_hat 的梯度"), hint)
    assert_value(got[1], expected[1], Say("The gradient with respect to y", "对 y 的梯度"), hint)


def test_mse_leaves_inputs_unchanged(student):
    """Does mse leave y_hat and y as they were (no in-place operations on the inputs)?
    mse 是否保持 y_hat 和 y 不变(不对输入做原地操作)?"""
    y_hat, y = pair(11, 1.0, 0.0, torch.float32, "cpu")
    before = y_hat.clone(), y.clone()
    student.mse(y_hat, y)
    assert torch.equal(y_hat, before[0]) and torch.equal(y, before[1]), Say(
        "mse modified its inputs in place.", "mse 原地修改了它的输入。"
    )
