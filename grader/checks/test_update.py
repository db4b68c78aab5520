"""Hidden checks of `update(x, y, a, lr)`: the step, in place, a.grad zeroed, the loss returned.

The student's `mse` is replaced by the reference one here, so a bug in mse costs only mse's points.
"""

import pytest
import torch

import lesson_ref
from grader.checks.support import (ALL_DEVICES, COMPUTE_DEVICES, DTYPES, assert_value, hidden_line,
                                   start_params)


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
def test_update_steps_against_the_gradient(update, device, dtype, lr):
    """Does update move a by -lr times the gradient of the loss (direction and size)?"""
    x, y = hidden_line(37, dtype, device)
    a = start_params(dtype, device)
    before = a.detach().clone()
    _, a_expected = reference_step(x, y, a, lr)
    update(x, y, a, lr)
    assert not torch.equal(a.detach(), before), (
        "a did not change: update must change a in place (a -= ... or a.sub_(...)), not rebind a new tensor.")
    step, expected_step = a.detach() - before, a_expected - before
    if torch.allclose(step, -expected_step):
        raise AssertionError("a moved up the gradient: the step must be a -= lr * a.grad (wrong sign).")
    assert_value(a.detach(), a_expected, "a after one step")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", COMPUTE_DEVICES)
def test_update_returns_the_loss_before_the_step_with_its_graph(update, device, dtype):
    """Does update return the loss computed before the step, as a 0-dim tensor that keeps its graph?"""
    x, y = hidden_line(23, dtype, device, seed=1)
    a = start_params(dtype, device)
    loss_expected, _ = reference_step(x, y, a, 0.1)
    loss = update(x, y, a, 0.1)
    assert isinstance(loss, torch.Tensor), f"update returned {type(loss).__name__}; return the loss tensor."
    assert loss.shape == (), f"update returned shape {tuple(loss.shape)}; the loss is 0-dim."
    assert loss.grad_fn is not None, "The returned loss has no graph: return it without .item() or .detach()."
    if torch.allclose(loss.detach(), lesson_ref.mse(x @ a.detach(), y)):
        raise AssertionError("update returned the loss after the step; return the one computed before it.")
    assert_value(loss.detach(), loss_expected, "The returned loss")


@pytest.mark.parametrize("device", ALL_DEVICES)
def test_update_keeps_a_the_same_leaf_parameter(update, device):
    """After update, is a still the same leaf nn.Parameter that requires grad?"""
    x, y = hidden_line(8, torch.float32, "cpu")
    a = start_params(torch.float32, device)
    update(x.to(device), y.to(device), a, 0.1)
    assert isinstance(a, torch.nn.Parameter) and a.is_leaf and a.requires_grad, (
        "a is no longer a leaf Parameter that requires grad: step inside torch.no_grad().")


@pytest.mark.parametrize("device", ALL_DEVICES)
def test_update_zeroes_grad(update, device):
    """After update, is a.grad zeroed (or None), ready for the next step?"""
    x, y = hidden_line(8, torch.float32, "cpu")
    a = start_params(torch.float32, device)
    update(x.to(device), y.to(device), a, 0.1)
    if a.grad is not None and device != "meta":
        assert torch.count_nonzero(a.grad) == 0, (
            "a.grad was not zeroed after the step: the next step would use the sum of two gradients.")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", COMPUTE_DEVICES)
def test_update_second_step_uses_only_its_own_gradient(update, device, dtype):
    """Do two calls of update give the same a as two correct steps?"""
    x, y = hidden_line(19, dtype, device, seed=2)
    a = start_params(dtype, device)
    a_ref, x_ref, y_ref = torch.nn.Parameter(a.detach().clone()), x.clone(), y.clone()
    for _ in range(2):
        update(x, y, a, 0.05)
        lesson_ref.update(x_ref, y_ref, a_ref, 0.05)
    assert_value(a.detach(), a_ref.detach(), "a after two steps",
                 " The first step may be right and the second not: is a.grad zeroed after each step?")


def test_update_leaves_x_and_y_unchanged(update):
    """Does update leave x and y as they were?"""
    x, y = hidden_line(10, torch.float32, "cpu")
    before = x.clone(), y.clone()
    update(x, y, start_params(torch.float32, "cpu"), 0.1)
    assert torch.equal(x, before[0]) and torch.equal(y, before[1]), "update modified x or y in place."


@pytest.mark.parametrize("device", COMPUTE_DEVICES)
def test_update_loop_reaches_the_least_squares_fit(update, device, dtype=torch.float64):
    """Do 50 full-batch steps of your update reach the best line (the least-squares solution)?

    float64 only: this checks the algorithm (dtypes are checked above), where the optimum is sharpest.
    """
    x, y = hidden_line(80, dtype, device, seed=3)
    a = start_params(dtype, device)
    optimum = lesson_ref.lstsq_optimum(x, y)
    for _ in range(50):  # at lr 0.5 the slow direction shrinks by 2/3 a step: 50 steps reach ~1e-7
        update(x, y, a, 0.5)
    assert_value(a.detach(), optimum, "a after 50 steps", atol=1e-3, rtol=1e-3)
