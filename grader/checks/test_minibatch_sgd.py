"""Hidden checks of `minibatch_sgd(x, y, a, lr, bs, epochs, generator)`.

A recording stand-in replaces the student's `update`, so a bug in update costs only update's points.
"""

import math

import pytest
import torch

import lesson_ref
from grader.checks.support import (ALL_DEVICES, COMPUTE_DEVICES, RecordingUpdate, assert_value, epochs_of,
                                   gen, hidden_line, id_line, start_params)

SHAPES = [(10, 3), (12, 4), (5, 8), (7, 1)]  # (n, bs): a partial last batch, exact fit, bs > n, bs = 1


def run(student, x, y, a, *, lr=0.1, bs, epochs, generator=None, step=False):
    """Call the student's minibatch_sgd with a recording update. -> (losses, recorder)."""
    recorder = RecordingUpdate(step=step)
    with student.patched("minibatch_sgd", update=recorder):
        losses = student.minibatch_sgd(x, y, a, lr, bs, epochs, generator=generator)
    assert recorder.calls, "minibatch_sgd never called update(x[idx], y[idx], a, lr)."
    return losses, recorder


def row_ids(recorder):
    """The row ids each call saw, read from x and from y (see id_line)."""
    return [(xb[:, 0].long().tolist(), (yb - 1000).long().tolist()) for xb, yb, *_ in recorder.calls]


def device_generator(device, seed):
    return gen(seed, device) if device != "meta" else None


@pytest.mark.parametrize("n, bs", SHAPES)
@pytest.mark.parametrize("device", ALL_DEVICES)
def test_minibatch_batches_have_size_bs_and_a_smaller_last_one(student, device, n, bs):
    """Does each epoch call update on batches of bs rows, the last one holding the rest?"""
    x, y = id_line(n, device)
    _, recorder = run(student, x, y, start_params(torch.float64, device), bs=bs, epochs=2,
                      generator=device_generator(device, 0))
    one_epoch = [bs] * (n // bs) + ([n % bs] if n % bs else [])
    expected = one_epoch * 2
    got = recorder.batch_sizes()
    if got == expected[: len(got)] and len(got) < len(expected) and n % bs:
        raise AssertionError("The last, smaller batch of each epoch was dropped: keep it.")
    assert got == expected, f"Batch sizes over 2 epochs were {got}, expected {expected}."
    for xb, yb, *_ in recorder.calls:
        assert xb.device.type == device and yb.device.type == device, (
            f"update got a batch on {xb.device}, but the data is on {device}: index with a permutation made "
            "on x.device.")


@pytest.mark.parametrize("n, bs", SHAPES)
def test_minibatch_uses_every_row_once_per_epoch_x_and_y_together(student, n, bs):
    """Does every epoch use each row exactly once, with x and y shuffled by the same permutation?"""
    x, y = id_line(n, "cpu")
    _, recorder = run(student, x, y, start_params(torch.float64, "cpu"), bs=bs, epochs=3, generator=gen(1))
    ids = row_ids(recorder)
    assert all(from_x == from_y for from_x, from_y in ids), (
        "A batch of x and its batch of y came from different rows: index x and y with the same idx.")
    for e, epoch in enumerate(epochs_of(ids, n, bs, 3)):
        rows = sorted(i for from_x, _ in epoch for i in from_x)
        assert rows == list(range(n)), f"Epoch {e + 1} did not use every row exactly once."


def test_minibatch_reshuffles_every_epoch(student):
    """Is the order of the rows random, and different from one epoch to the next?"""
    n, bs = 40, 8
    x, y = id_line(n, "cpu")
    _, recorder = run(student, x, y, start_params(torch.float64, "cpu"), bs=bs, epochs=3, generator=gen(2))
    orders = [[i for from_x, _ in epoch for i in from_x] for epoch in epochs_of(row_ids(recorder), n, bs, 3)]
    assert orders[0] != list(range(n)), "The rows came in their original order: shuffle them (torch.randperm)."
    assert len({tuple(o) for o in orders}) == 3, "Epochs repeated the same order: draw a fresh permutation each epoch."


@pytest.mark.parametrize("device", COMPUTE_DEVICES)
def test_minibatch_honours_the_generator(student, device):
    """Do equal generator seeds give the same batches and different seeds different ones?"""
    n, bs = 30, 7
    x, y = id_line(n, device)

    def order(seed, global_seed):
        torch.manual_seed(global_seed)  # a run that ignores `generator` follows this instead
        _, recorder = run(student, x, y, start_params(torch.float64, device), bs=bs, epochs=2,
                          generator=gen(seed, device))
        return row_ids(recorder)

    assert order(5, global_seed=1) == order(5, global_seed=2), (
        "The same generator seed gave different batches: pass generator= to torch.randperm.")
    assert order(5, global_seed=3) != order(6, global_seed=3), (
        "Different generator seeds gave the same batches: use the generator you are given.")


@pytest.mark.parametrize("n, bs, epochs", [(10, 3, 2), (6, 6, 3)])
def test_minibatch_returns_every_batch_loss_as_a_float(student, n, bs, epochs):
    """Does minibatch_sgd return, in order, the loss of every batch as a Python float?"""
    x, y = id_line(n, "cpu")
    losses, recorder = run(student, x, y, start_params(torch.float64, "cpu"), bs=bs, epochs=epochs,
                           generator=gen(3))
    assert isinstance(losses, list), f"minibatch_sgd returned {type(losses).__name__}, not a list."
    assert len(losses) == epochs * math.ceil(n / bs), (
        f"Got {len(losses)} losses for {epochs} epochs of ceil({n}/{bs}) batches: return one per batch.")
    assert all(type(v) is float for v in losses), (
        "The losses must be Python floats: use loss.item() on the loss update returns.")
    assert losses == recorder.returned, "The losses are not the values update returned, in the order of the calls."


def test_minibatch_passes_a_and_lr_to_update(student):
    """Does every call pass the same Parameter a (not a copy) and the given lr?"""
    x, y = id_line(9, "cpu")
    a = start_params(torch.float64, "cpu")
    _, recorder = run(student, x, y, a, lr=0.037, bs=4, epochs=2, generator=gen(4))
    assert all(call_a is a for *_, call_a, _ in recorder.calls), "update was not given the Parameter a itself."
    assert all(lr == 0.037 for *_, lr in recorder.calls), "update was not given the learning rate lr."


def test_minibatch_leaves_x_and_y_unchanged(student):
    """Does minibatch_sgd leave x and y as they were (shuffle indices, not the data)?"""
    x, y = id_line(12, "cpu")
    before = x.clone(), y.clone()
    run(student, x, y, start_params(torch.float64, "cpu"), bs=5, epochs=2, generator=gen(5))
    assert torch.equal(x, before[0]) and torch.equal(y, before[1]), "minibatch_sgd modified x or y in place."


@pytest.mark.parametrize("device", COMPUTE_DEVICES)
def test_minibatch_sgd_reaches_the_least_squares_fit(student, device, dtype=torch.float64):
    """With correct steps, does minibatch SGD end near the least-squares solution?

    float64 only: this checks the algorithm (dtypes are checked above).
    """
    x, y = hidden_line(150, dtype, device, seed=4)
    a = start_params(dtype, device)
    optimum = lesson_ref.lstsq_optimum(x, y)
    # 2 x 10 epochs of 5 batches: over 30 data seeds the reference ends within 0.009 of the optimum
    run(student, x, y, a, lr=0.2, bs=30, epochs=10, generator=gen(6, device), step=True)
    run(student, x, y, a, lr=0.02, bs=30, epochs=10, generator=gen(7, device), step=True)
    assert_value(a.detach(), optimum, "a after minibatch SGD", atol=3e-2, rtol=0)
