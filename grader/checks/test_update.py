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
    NO_HINT,
    TOLERANCES,
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


def step_tolerance(before: torch.Tensor, expected_step: torch.Tensor) -> dict:
    """TOLERANCES scaled to the operands of a -= lr * grad, not its result: far from the fit, a component of a
    that the step brings near 0 keeps the rounding of the large numbers it came from (another order of ops)."""
    tol = TOLERANCES[before.dtype]
    scale = max(before.abs().max().item(), expected_step.abs().max().item(), 1.0)
    return dict(rtol=tol["rtol"], atol=tol["atol"] + tol["rtol"] * scale)


WRONG_SIGN = Say(
    "a moved up the gradient: the step must be a -= lr * a.grad (wrong sign).",
    "a 沿梯度上升了:应为 a -= lr * a.grad(符号反了)。",
)


def step_hint(step: torch.Tensor, expected: torch.Tensor) -> Say:
    """Name how a wrong step differs from -lr * gradient: the opposite way, along it by another length, or capped."""
    if torch.allclose(step, -expected):
        return WRONG_SIGN
    cos = torch.nn.functional.cosine_similarity(step, expected, dim=0)
    if expected.norm() > 0 and cos > 1 - 1e-6:
        longer = step.norm() > expected.norm()
        return Say(
            f"a moved along -gradient, but {'further' if longer else 'less far'} than lr * a.grad: the step must be "
            "exactly lr * a.grad (no clipping or normalising of the gradient, no learning rate that changes between "
            "calls).",
            f"a 沿负梯度方向移动了,但距离{'大于' if longer else '小于'} lr * a.grad:步长必须恰好是 lr * a.grad"
            "(不要裁剪或归一化梯度,学习率也不能在各次调用之间变化)。",
        )
    capped = (step.abs() < expected.abs()) & (torch.sign(step) == torch.sign(expected))
    if capped.any() and torch.allclose(step[~capped], expected[~capped]):
        return Say(
            "Some entries of the step were cut short (clamped or capped): the step must be exactly lr * a.grad, "
            "however large.",
            "步长的某些分量被截短了(clamp 或设上限):无论多大,步长都必须恰好是 lr * a.grad。",
        )
    return NO_HINT


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
    hint = step_hint(step, expected_step)
    if hint is WRONG_SIGN:
        raise AssertionError(hint)
    tol = step_tolerance(before, expected_step)
    assert_value(a.detach(), a_expected, Say("a after one step", "走一步后的 a"), hint, **tol)


# starts far from the best line: a steep gradient, where a step that is clipped, clamped or normalised differs
FAR_STARTS = [pytest.param((100.0, -100.0), id="far"), pytest.param((-250.0, 400.0), id="farther")]


@pytest.mark.parametrize("start", FAR_STARTS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", COMPUTE_DEVICES)
def test_update_steps_right_far_from_the_fit(update, expect, device, dtype, start):
    """Is the step exactly -lr times the gradient from a start far from the best line too (no clipping or clamping)?
    从远离最佳直线的起点出发(梯度很陡),步长是否仍恰好是 -lr 乘以梯度(不裁剪、不截断)?"""
    x, y = hidden_line(37, dtype, device)
    a = torch.nn.Parameter(torch.tensor(start, dtype=dtype, device=device))
    before = a.detach().clone()
    _, a_expected = expect("step", lambda: reference_step(x, y, a, 0.1))
    update(x, y, a, 0.1)
    where = Say(
        "From a start far from the best line, where the gradient is steep, a after one step",
        "从远离最佳直线、梯度很陡的起点出发,走一步后的 a",
    )
    tol = step_tolerance(before, a_expected - before)
    assert_value(a.detach(), a_expected, where, step_hint(a.detach() - before, a_expected - before), **tol)


# one Parameter, consecutive calls: (batch, lr) per call; a batch the first call saw comes back, lr changes
CALLS = [(0, 0.1), (0, 0.1), (1, 0.05), (0, 0.1)]


@pytest.mark.parametrize("device", COMPUTE_DEVICES)
def test_update_takes_the_plain_step_on_every_call(update, device, dtype=torch.float64):
    """Does every call on the same a take exactly the plain step from where a stands, keeping nothing between calls?
    对同一个 a 连续调用时,每次是否都从 a 当前的位置恰好走一步普通的梯度下降,调用之间不保留任何状态?

    float64 only: this checks what carries over between calls (dtypes are checked above).
    """
    batches = [hidden_line(29, dtype, device, seed=seed) for seed in (5, 6)]
    a = start_params(dtype, device)
    for call, (batch, lr) in enumerate(CALLS, start=1):
        x, y = batches[batch]
        before = a.detach().clone()
        _, a_expected = reference_step(x, y, a, lr)  # from where a stands now: before the student's call
        update(x, y, a, lr)
        a.grad = None  # each step on its own: a missing zero_() costs only test_update_zeroes_grad's points
        tol = step_tolerance(before, a_expected - before)
        if call == 1:
            assert_value(a.detach(), a_expected, Say("a after the first call", "第一次调用后的 a"), **tol)
            continue
        assert_value(
            a.detach(),
            a_expected,
            Say(
                f"The first call stepped right, but call {call} on the same a did not take the plain step from where "
                "a stood: update must keep nothing between calls (no momentum, no step counter or learning-rate "
                "schedule, no gradient, learning rate or optimizer state kept from an earlier call). So a after "
                "that call",
                f"第一次调用的步长正确,但对同一个 a 的第 {call} 次调用没有从 a 当前位置走普通的一步:update 在调用之间"
                "不能保留任何东西(不要动量、不要步数计数或学习率调度、不要沿用之前调用的梯度、学习率或优化器状态)。"
                "因此该次调用后的 a",
            ),
            step_hint(a.detach() - before, a_expected - before),
            **tol,
        )


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
