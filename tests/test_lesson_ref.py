"""The reference implementation agrees with PyTorch's own answers (micrograd style)."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

import lesson_ref

DTYPES = [torch.float32, torch.float64]


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n, scale", [(1, 1.0), (7, 1e-3), (100, 1.0), (1000, 1e3)])
def test_mse_matches_f_mse_loss(n, scale, dtype):
    """Does mse equal F.mse_loss, value and gradient?"""
    g = gen(n)
    y_hat = (scale * torch.randn(n, generator=g, dtype=dtype)).requires_grad_()
    y = scale * torch.randn(n, generator=g, dtype=dtype)
    ours = lesson_ref.mse(y_hat, y)
    theirs = F.mse_loss(y_hat, y)
    assert ours.shape == () and ours.dtype == dtype
    assert_close(ours, theirs)
    assert_close(torch.autograd.grad(ours, y_hat)[0], torch.autograd.grad(theirs, y_hat)[0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [3, 50])
def test_update_steps_by_autograd_gradient(n, dtype):
    """Does update move a by -lr times the autograd gradient, in place, and zero a.grad?"""
    x, y = lesson_ref.make_linear_data(n, [3.0, 2.0], generator=gen(n), dtype=dtype)
    a = torch.nn.Parameter(torch.tensor([-1.0, 1.0], dtype=dtype))
    before = a.detach().clone()
    grad = torch.autograd.grad(F.mse_loss(x @ a, y), a)[0]
    loss = lesson_ref.update(x, y, a, lr=0.1)
    assert_close(loss, F.mse_loss(x @ before, y))
    assert loss.grad_fn is not None
    assert_close(a.detach(), before - 0.1 * grad)
    assert a.is_leaf and isinstance(a, torch.nn.Parameter)
    assert torch.count_nonzero(a.grad) == 0


@pytest.mark.parametrize("dtype", DTYPES)
def test_full_batch_updates_reach_lstsq_optimum(dtype):
    """Do 300 full-batch steps reach the least-squares solution torch.linalg.lstsq finds?"""
    x, y = lesson_ref.make_linear_data(100, [3.0, 2.0], generator=gen(), dtype=dtype)
    a = torch.nn.Parameter(torch.tensor([-1.0, 1.0], dtype=dtype))
    for _ in range(300):
        lesson_ref.update(x, y, a, lr=0.5)
    assert_close(a.detach(), lesson_ref.lstsq_optimum(x, y), atol=1e-4, rtol=1e-4)


def test_lstsq_optimum_has_zero_gradient():
    """Is lstsq_optimum a stationary point of the mse?"""
    x, y = lesson_ref.make_linear_data(64, [-2.0, 0.5], noise=1.0, generator=gen(3), dtype=torch.float64)
    a = lesson_ref.lstsq_optimum(x, y).requires_grad_()
    grad = torch.autograd.grad(F.mse_loss(x @ a, y), a)[0]
    assert_close(grad, torch.zeros_like(grad), atol=1e-12, rtol=0)


@pytest.mark.parametrize("n, bs", [(10, 3), (12, 4), (5, 8), (7, 1)])
def test_minibatch_sgd_visits_every_row_once_per_epoch(n, bs):
    """Does minibatch_sgd return epochs * ceil(n/bs) float losses, and fit the data?"""
    x, y = lesson_ref.make_linear_data(n, [3.0, 2.0], generator=gen(n), dtype=torch.float64)
    a = torch.nn.Parameter(torch.tensor([-1.0, 1.0], dtype=torch.float64))
    losses = lesson_ref.minibatch_sgd(x, y, a, lr=0.1, bs=bs, epochs=3, generator=gen(1))
    assert len(losses) == 3 * math.ceil(n / bs)
    assert all(type(v) is float for v in losses)


def test_minibatch_sgd_reaches_lstsq_optimum():
    """Does minibatch SGD with a small final learning rate land near the lstsq optimum?"""
    x, y = lesson_ref.make_linear_data(200, [3.0, 2.0], generator=gen(), dtype=torch.float64)
    a = torch.nn.Parameter(torch.tensor([-1.0, 1.0], dtype=torch.float64))
    lesson_ref.minibatch_sgd(x, y, a, lr=0.2, bs=20, epochs=20, generator=gen(1))
    lesson_ref.minibatch_sgd(x, y, a, lr=0.01, bs=20, epochs=20, generator=gen(2))
    assert_close(a.detach(), lesson_ref.lstsq_optimum(x, y), atol=2e-2, rtol=0)


def test_minibatch_sgd_is_reproducible_with_a_generator():
    """Do equal generator seeds give equal runs?"""
    x, y = lesson_ref.make_linear_data(30, [3.0, 2.0], generator=gen())
    runs = []
    for _ in range(2):
        a = torch.nn.Parameter(torch.tensor([-1.0, 1.0]))
        runs.append(lesson_ref.minibatch_sgd(x, y, a, lr=0.1, bs=7, epochs=2, generator=gen(5)))
    assert runs[0] == runs[1]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n, k, scale", [(1, 2, 1.0), (5, 3, 10.0), (64, 10, 1.0), (33, 7, 1e4)])
def test_cross_entropy_matches_f_cross_entropy(n, k, scale, dtype):
    """Does cross_entropy equal F.cross_entropy, value and gradient, even for huge logits?"""
    g = gen(n * k)
    logits = (scale * torch.randn(n, k, generator=g, dtype=dtype)).requires_grad_()
    target = torch.randint(0, k, (n,), generator=g)
    ours = lesson_ref.cross_entropy(logits, target)
    theirs = F.cross_entropy(logits, target)
    assert ours.shape == () and ours.dtype == dtype and torch.isfinite(ours)
    assert_close(ours, theirs)
    assert_close(torch.autograd.grad(ours, logits)[0], torch.autograd.grad(theirs, logits)[0])


def test_cross_entropy_passes_gradcheck():
    """Is the cross_entropy gradient right by finite differences (float64)?"""
    g = gen(9)
    logits = torch.randn(6, 4, generator=g, dtype=torch.float64, requires_grad=True)
    target = torch.randint(0, 4, (6,), generator=g)
    assert torch.autograd.gradcheck(lambda z: lesson_ref.cross_entropy(z, target), (logits,))


def test_make_linear_data_is_the_seed_recipe():
    """Is x = [U(-1,1), 1] and y = x@a + noise, the same on every device?"""
    x, y = lesson_ref.make_linear_data(500, [3.0, 2.0], noise=0.0, generator=gen())
    assert x.shape == (500, 2) and y.shape == (500,)
    assert torch.all(x[:, 1] == 1) and x[:, 0].abs().max() <= 1
    assert_close(y, x @ torch.tensor([3.0, 2.0]))
    x2, _ = lesson_ref.make_linear_data(500, [3.0, 2.0], generator=gen(), device="meta")
    assert x2.device.type == "meta" and x2.shape == x.shape
