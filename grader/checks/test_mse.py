"""Hidden checks of `mse(y_hat, y)`: values, shape, dtype, device and gradients."""

import pytest
import torch

import lesson_ref
from grader.checks.support import ALL_DEVICES, COMPUTE_DEVICES, DTYPES, assert_value, gen, ratio_hint

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
def test_mse_value_matches_reference(student, device, dtype, n, scale, offset):
    """Is mse the mean of the squared differences, for any length and range of values?"""
    y_hat, y = pair(n, scale, offset, dtype, device)
    got, expected = student.mse(y_hat, y), lesson_ref.mse(y_hat, y)
    assert isinstance(got, torch.Tensor), f"mse returned {type(got).__name__}; return a tensor (no .item())."
    assert_value(got, expected, "The mse value", ratio_hint(got, expected, n))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", ALL_DEVICES)
def test_mse_returns_0dim_tensor_of_input_dtype_and_device(student, device, dtype):
    """Does mse return a 0-dim tensor with the inputs' dtype, on the inputs' device?"""
    y_hat, y = pair(9, 1.0, 0.0, dtype, "cpu")
    got = student.mse(y_hat.to(device), y.to(device))
    assert isinstance(got, torch.Tensor), f"mse returned {type(got).__name__}; return a tensor."
    assert got.shape == (), f"mse returned shape {tuple(got.shape)}; the mean over all elements is 0-dim."
    assert got.dtype == dtype, f"mse returned {got.dtype} for {dtype} inputs: do not hard-code a dtype."
    assert got.device.type == device, f"mse returned a tensor on {got.device} for inputs on {device}."


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("device", COMPUTE_DEVICES)
def test_mse_gradient_matches_reference(student, device, dtype):
    """Does autograd through your mse give the right gradients for y_hat and y (graph kept)?"""
    y_hat, y = pair(31, 2.0, 1.0, dtype, device)
    grads = []
    for fn in (student.mse, lesson_ref.mse):
        inputs = (y_hat.clone().requires_grad_(), y.clone().requires_grad_())
        loss = fn(*inputs)
        assert isinstance(loss, torch.Tensor) and loss.requires_grad, (
            "mse's result does not require grad: do not use .item(), float() or .detach() inside mse.")
        grads.append(torch.autograd.grad(loss, inputs))
    assert_value(grads[0][0], grads[1][0], "The gradient with respect to y_hat")
    assert_value(grads[0][1], grads[1][1], "The gradient with respect to y")


def test_mse_passes_gradcheck(student):
    """Is the gradient of your mse right by finite differences (float64)?"""
    y_hat, y = pair(6, 1.0, 0.0, torch.float64, "cpu")
    inputs = (y_hat.requires_grad_(), y.requires_grad_())
    assert torch.autograd.gradcheck(student.mse, inputs, raise_exception=False), (
        "Finite differences disagree with autograd through your mse.")


def test_mse_leaves_inputs_unchanged(student):
    """Does mse leave y_hat and y as they were (no in-place operations on the inputs)?"""
    y_hat, y = pair(11, 1.0, 0.0, torch.float32, "cpu")
    before = y_hat.clone(), y.clone()
    student.mse(y_hat, y)
    assert torch.equal(y_hat, before[0]) and torch.equal(y, before[1]), "mse modified its inputs in place."
