"""Hidden checks of `update(x, y, a, lr)`: the step, in place, a.grad zeroed, the loss returned.

The student's `mse` is replaced by the reference one here, so a bug in mse costs only mse's points.
"""

import pytest
import torch

import lesson_ref
from grader.checks.support import (
    ALL_DEVICES,
    COMPUTE_DEVICES,
    DTYPES,
    Say,
    as_value,
    assert_value,
    hidden_line,
    start_params,
)


@pytest.fixture
def update(student):
    with student.patched("update", mse=lesson_ref.mse):
        yield student.update


def reference_step(x, y, a, lr):
    """What one correct step gives: (loss before, a after)."""
    a_ref = torch.nn.Parameter(a.detach().clone())
    loss = lesson_ref.update(x, y, a_ref, lr)
    return loss.detach(), a_ref.detach()


@pytest.mark.parametrize("lr", [0.1, 0.013])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", COMPUTE_DEVICES)
def test_update_steps_against_the_gradient(update, expect, device, dtype, lr):
    """Does update move a by -lr times the gradient of the loss (direction and size)?
    update 是否让 a 移动 -lr 乘以损失的梯度(方向和大小都对)?"""
    x, y = hidden_line(37, dtype, device)
    a = start_params(dtype, device)
    before = a.detach().clone()
    _, a_expected = expect("step", lambda: reference_step(x, y, a, lr))
    update(x, y, a, lr)
    assert not torch.equal(a.detach(), before), Say(
        "a did not change: update must change a in place (a -= ... or a.sub_(...)), not rebind a new tensor.",
        "a 没有变化:update 必须原地修改 a(a -= ... 或 a.sub_(...)),而不是把名字绑定到新张量。",
    )
    step, expected_step = a.detach() - before, a_expected - before
    if torch.allclose(step, -expected_step):
        raise AssertionError(
            Say(
                "a moved up the gradient: the step must be a -= lr * a.grad (wrong sign).",
                "a 沿梯度上升了:应为 a -= lr * a.grad(符号反了)。",
            )
        )
    assert_value(a.detach(), a_expected, Say("a after one step", "走一步后的 a"))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", COMPUTE_DEVICES)
def test_update_returns_the_loss_before_the_step_with_its_graph(update, expect, device, dtype):
    """Does update return the loss computed before the step, as a 0-dim tensor that keeps its graph?
    update 是否返回更新前计算的损失,并且是保留计算图的 0 维张量?"""
    x, y = hidden_line(23, dtype, device, seed=1)
    a = start_params(dtype, device)
    loss_expected, _ = expect("step", lambda: reference_step(x, y, a, 0.1))
    loss = update(x, y, a, 0.1)
    value = as_value(loss, loss_expected)
    if torch.allclose(value, lesson_ref.mse(x @ a.detach(), y)):
        raise AssertionError(
            Say(
                "update returned the loss after the step; return the one computed before it.",
                "update 返回的是更新后的损失;请返回更新前计算的那个。",
            )
        )
    assert_value(value, loss_expected, Say("The returned loss", "返回的损失"))
    kind, shape = type(loss).__name__, tuple(getattr(loss, "shape", ()))
    assert isinstance(loss, torch.Tensor), Say(
        f"update returned a {kind}; return the loss tensor.", f"update 返回了 {kind};请返回损失张量。"
    )
    assert loss.shape == (), Say(
        f"update returned shape {shape}; the loss is 0-dim.", f"update 返回的形状是 {shape};损失应是 0 维。"
    )
    assert loss.grad_fn is not None, Say(
        "The returned loss has no graph: return it without .item() or .detach().",
        "返回的损失没有计算图:不要对它用 .item() 或 .detach()。",
    )


@pytest.mark.parametrize("device", ALL_DEVICES)
def test_update_keeps_a_the_same_leaf_parameter(update, device):
    """After update, is a still the same leaf nn.Parameter that requires grad?
    update 之后,a 是否仍是同一个需要梯度的叶子 nn.Parameter?"""
    x, y = hidden_line(8, torch.float32, "cpu")
    a = start_params(torch.float32, device)
    update(x.to(device), y.to(device), a, 0.1)
    assert isinstance(a, torch.nn.Parameter) and a.is_leaf and a.requires_grad, Say(
        "a is no longer a leaf Parameter that requires grad: step inside torch.no_grad().",
        "a 不再是需要梯度的叶子 Parameter:请在 torch.no_grad() 里更新。",
    )


@pytest.mark.parametrize("device", ALL_DEVICES)
def test_update_zeroes_grad(update, device):
    """After update, is a.grad zeroed (or None), ready for the next step?
    update 之后,a.grad 是否已清零(或为 None),为下一步做好准备?"""
    x, y = hidden_line(8, torch.float32, "cpu")
    a = start_params(torch.float32, device)
    update(x.to(device), y.to(device), a, 0.1)
    if a.grad is not None:
        if device == "meta":
            pytest.skip("meta tensors hold no values: whether a.grad is zero is judged on the cpu/cuda cases")
        assert torch.count_nonzero(a.grad) == 0, Say(
            "a.grad was not zeroed after the step: the next step would use the sum of two gradients.",
            "更新后 a.grad 没有清零:下一步会用到两个梯度之和。",
        )


def test_update_leaves_x_and_y_unchanged(update):
    """Does update leave x and y as they were?
    update 是否保持 x 和 y 不变?"""
    x, y = hidden_line(10, torch.float32, "cpu")
    before = x.clone(), y.clone()
    update(x, y, start_params(torch.float32, "cpu"), 0.1)
    assert torch.equal(x, before[0]) and torch.equal(y, before[1]), Say(
        "update modified x or y in place.", "update 原地修改了 x 或 y。"
    )


@pytest.mark.parametrize("device", COMPUTE_DEVICES)
def test_update_loop_reaches_the_least_squares_fit(update, expect, device, dtype=torch.float64):
    """Do 50 full-batch steps of your update reach the best line (the least-squares solution)?
    用你的 update 做 50 步全批量梯度下降,能否到达最佳直线(最小二乘解)?

    float64 only: this checks the algorithm (dtypes are checked above), where the optimum is sharpest.
    """
    x, y = hidden_line(80, dtype, device, seed=3)
    a = start_params(dtype, device)
    optimum = expect("optimum", lambda: lesson_ref.lstsq_optimum(x, y))
    for _ in range(50):  # at lr 0.5 the slow direction shrinks by 2/3 a step: 50 steps reach ~1e-7
        update(x, y, a, 0.5)
        a.grad = None  # each step on its own: a missing zero_() costs only test_update_zeroes_grad's points
    assert_value(a.detach(), optimum, Say("a after 50 steps", "50 步后的 a"), atol=1e-3, rtol=1e-3)
