"""Hidden checks of `minibatch_sgd(x, y, a, lr, bs, epochs, generator)`.

A recording stand-in replaces the student's `update`, so a bug in update costs only update's points.
"""

import contextlib

import pytest
import torch

import lesson_ref
from grader.checks.support import (
    ALL_DEVICES,
    COMPUTE_DEVICES,
    RecordingUpdate,
    Say,
    assert_value,
    epochs_of,
    gen,
    hidden_line,
    id_line,
    start_params,
)
from grader.devicesim import CudaLikeRandom, MetaGenerator

# (n, bs), chosen so that the usual wrong partitions (chunk(ceil(n / bs)), tensor_split into ceil(n / bs)
# parts, dropping or padding the last batch, one batch too few) give other batch sizes than split(bs)
SHAPES = [
    (10, 3),  # bs does not divide n: a smaller last batch
    (12, 4),  # bs divides n
    (5, 8),  # n < bs: one batch of all rows
    (7, 1),  # bs = 1
    (9, 8),  # n = bs + 1: a last batch of one row
    (13, 6),  # prime n
    (1009, 100),  # a large (prime) n
]
SHAPE_KIND = {  # what each shape tests, in English and Chinese
    (10, 3): ("bs does not divide n", "bs 不整除 n"),
    (12, 4): ("bs divides n", "bs 整除 n"),
    (5, 8): ("n < bs", "n < bs"),
    (7, 1): ("bs = 1", "bs = 1"),
    (9, 8): ("n = bs + 1", "n = bs + 1"),
    (13, 6): ("prime n", "n 为质数"),
    (1009, 100): ("a large n", "较大的 n"),
}


NO_GENERATOR = object()  # run() without a generator argument: the default, None


def run(student, x, y, a, *, lr=0.1, bs, epochs, generator=None, step=False):
    """Call the student's minibatch_sgd with a recording update. -> (losses, recorder)."""
    recorder = RecordingUpdate(step=step)
    with student.patched("minibatch_sgd", update=recorder):
        if generator is NO_GENERATOR:
            losses = student.minibatch_sgd(x, y, a, lr, bs, epochs)
        else:
            losses = student.minibatch_sgd(x, y, a, lr, bs, epochs, generator=generator)
    assert recorder.calls, Say(
        "minibatch_sgd never called update(x[idx], y[idx], a, lr).",
        "minibatch_sgd 从未调用 update(x[idx], y[idx], a, lr)。",
    )
    return losses, recorder


def row_ids(recorder):
    """The row ids each call saw, read from x and from y (see id_line)."""
    return [(xb[:, 0].long().tolist(), (yb - 1000).long().tolist()) for xb, yb, *_ in recorder.calls]


def device_generator(device, seed):
    """A generator on `device`; on meta one that says so (devicesim.MetaGenerator: CUDA's rules, without a GPU)."""
    return gen(seed, device) if device != "meta" else MetaGenerator().manual_seed(seed)


def device_rules(device):
    """On meta, random ops keep CUDA's generator rules (devicesim.CudaLikeRandom); elsewhere the device's own."""
    return CudaLikeRandom() if device == "meta" else contextlib.nullcontext()


def sizes_differ(got: list[int], n: int, bs: int, epochs: int) -> Say:
    """Name what differs between the batch sizes update got and split(bs)'s, epoch by epoch."""
    one_epoch = [bs] * (n // bs) + ([n % bs] if n % bs else [])
    per = len(one_epoch)
    kind, kind_zh = SHAPE_KIND[(n, bs)]
    case, case_zh = f"With n = {n} rows and bs = {bs} ({kind})", f"当 n = {n} 行、bs = {bs} 时({kind_zh})"
    if len(got) != per * epochs:
        return Say(
            f"{case}: update was called {len(got)} times in {epochs} epochs; expected {per} calls per epoch "
            "(ceil(n / bs)), one per batch.",
            f"{case_zh}:{epochs} 个 epoch 里 update 被调用了 {len(got)} 次;每个 epoch 应调用 {per} 次"
            "(ceil(n / bs)),每批一次。",
        )
    for e in range(epochs):
        sizes = got[e * per : (e + 1) * per]
        if sizes != one_epoch:
            shown, want = _short(sizes), _short(one_epoch)
            return Say(
                f"{case}: epoch {e + 1}'s batches had {shown} rows; expected {want} (batches of bs rows, "
                "the last one holding the rest), as perm.split(bs) gives.",
                f"{case_zh}:第 {e + 1} 个 epoch 的批次行数为 {shown};应为 {want}"
                "(每批 bs 行,最后一批装下剩余的行),即 perm.split(bs) 的结果。",
            )
    return Say("")


def _short(sizes: list[int]) -> str:
    return ", ".join(map(str, sizes if len(sizes) <= 6 else [*sizes[:5], "...", sizes[-1]]))


@pytest.mark.parametrize("n, bs", SHAPES)
@pytest.mark.parametrize("device", ALL_DEVICES)
def test_minibatch_batches_have_size_bs_and_a_smaller_last_one(student, device, n, bs):
    """Does each epoch call update on batches of bs rows, the last one holding the rest?
    每个 epoch 是否按每批 bs 行调用 update,最后一批装下剩余的行?"""
    x, y = id_line(n, device)
    with device_rules(device):
        _, recorder = run(
            student, x, y, start_params(torch.float64, device), bs=bs, epochs=2, generator=device_generator(device, 0)
        )
    one_epoch = [bs] * (n // bs) + ([n % bs] if n % bs else [])
    expected = one_epoch * 2
    got = recorder.batch_sizes()
    if got == [bs] * (n // bs) * 2 and n % bs and n > bs:
        raise AssertionError(
            Say(
                "The last, smaller batch of each epoch was dropped: keep it.",
                "每个 epoch 最后那个较小的批次被丢掉了:请保留它。",
            )
        )
    assert got == expected, sizes_differ(got, n, bs, 2)
    for xb, yb, *_ in recorder.calls:
        assert xb.device.type == device and yb.device.type == device, Say(
            f"update got a batch on {xb.device}, but the data is on {device}: index with a permutation made "
            "on x.device.",
            f"数据在 {device} 上,update 收到的批次却在 {xb.device} 上:请用在 x.device 上生成的排列做索引。",
        )


@pytest.mark.parametrize("n, bs", [(10, 3), (13, 6)])
def test_minibatch_batches_of_x_and_y_come_from_the_same_rows(student, n, bs):
    """Does every call get the rows of x and the rows of y picked by the same indices?
    每次调用中,x 的行和 y 的行是否由同一组索引选出?"""
    x, y = id_line(n, "cpu")
    _, recorder = run(student, x, y, start_params(torch.float64, "cpu"), bs=bs, epochs=2, generator=gen(1))
    assert all(from_x == from_y for from_x, from_y in row_ids(recorder)), Say(
        "A batch of x and its batch of y came from different rows: index x and y with the same idx.",
        "x 的批次和对应的 y 批次来自不同的行:请用同一个 idx 索引 x 和 y。",
    )


@pytest.mark.parametrize("n, bs", SHAPES)
def test_minibatch_uses_every_row_once_per_epoch(student, n, bs):
    """Does every epoch use each row exactly once?
    每个 epoch 是否恰好用到每行一次?"""
    x, y = id_line(n, "cpu")
    _, recorder = run(student, x, y, start_params(torch.float64, "cpu"), bs=bs, epochs=3, generator=gen(1))
    for e, epoch in enumerate(epochs_of(row_ids(recorder), n, bs, 3)):
        rows = [i for from_x, _ in epoch for i in from_x]
        twice, left_out = len(rows) - len(set(rows)), n - len(set(rows) & set(range(n)))
        assert sorted(rows) == list(range(n)), Say(
            f"With n = {n} rows and bs = {bs} ({SHAPE_KIND[(n, bs)][0]}), epoch {e + 1} did not use every row "
            f"exactly once: {twice} row(s) came again and {left_out} were left out.",
            f"当 n = {n} 行、bs = {bs} 时({SHAPE_KIND[(n, bs)][1]}),第 {e + 1} 个 epoch 没有恰好用到每行一次:"
            f"{twice} 行重复出现,{left_out} 行被漏掉。",
        )


def test_minibatch_reshuffles_every_epoch(student):
    """Is the order of the rows random, and different from one epoch to the next?
    行的顺序是否随机,并且每个 epoch 都不同?"""
    n, bs = 40, 8
    x, y = id_line(n, "cpu")
    _, recorder = run(student, x, y, start_params(torch.float64, "cpu"), bs=bs, epochs=3, generator=gen(2))
    orders = [[i for from_x, _ in epoch for i in from_x] for epoch in epochs_of(row_ids(recorder), n, bs, 3)]
    assert orders[0] != list(range(n)), Say(
        "The rows came in their original order: shuffle them (torch.randperm).",
        "行按原来的顺序出现:请打乱它们(torch.randperm)。",
    )
    assert len({tuple(o) for o in orders}) == 3, Say(
        "Epochs repeated the same order: draw a fresh permutation each epoch.",
        "各个 epoch 重复了同一个顺序:每个 epoch 都要重新生成排列。",
    )


@pytest.mark.parametrize("device", COMPUTE_DEVICES)
def test_minibatch_honours_the_generator(student, device):
    """Do equal generator seeds give equal batches, other seeds other ones, and no generator the global RNG's?
    相同种子的 generator 是否给出相同的批次,不同种子给出不同的批次,不传 generator 时是否使用全局随机数生成器?"""
    n, bs = 30, 7
    x, y = id_line(n, device)

    def order(seed, global_seed):
        torch.manual_seed(global_seed)  # a run that ignores `generator` follows this instead
        _, recorder = run(
            student, x, y, start_params(torch.float64, device), bs=bs, epochs=2, generator=gen(seed, device)
        )
        return row_ids(recorder)

    assert order(5, global_seed=1) == order(5, global_seed=2), Say(
        "The same generator seed gave different batches: pass generator= to torch.randperm.",
        "相同的 generator 种子给出了不同的批次:请把 generator= 传给 torch.randperm。",
    )
    assert order(5, global_seed=3) != order(6, global_seed=3), Say(
        "Different generator seeds gave the same batches: use the generator you are given.",
        "不同的 generator 种子给出了相同的批次:请使用传入的 generator。",
    )

    def default_order(global_seed):
        torch.manual_seed(global_seed)
        _, recorder = run(student, x, y, start_params(torch.float64, device), bs=bs, epochs=2, generator=NO_GENERATOR)
        return row_ids(recorder)

    follows = Say(
        "Without a generator (generator=None, the default) the batches did not follow torch.manual_seed: "
        "pass generator=None on to torch.randperm as it is.",
        "不传 generator(默认 None)时,批次没有跟随 torch.manual_seed:请把 generator=None 原样传给 torch.randperm。",
    )
    assert default_order(8) == default_order(8), follows
    assert default_order(8) != default_order(9), follows + Say(
        "Other global seeds gave the same batches: no generator does not mean a fixed seed (do not make a seeded "
        "generator of your own, or call torch.manual_seed, when none is given).",
        "不同的全局种子给出了相同的批次:不传 generator 并不意味着使用固定种子(没有传入时,不要自己创建带种子的 "
        "generator,也不要调用 torch.manual_seed)。",
    )


@pytest.mark.parametrize("n, bs, epochs", [(10, 3, 2), (6, 6, 3)])
def test_minibatch_returns_every_batch_loss_as_a_float(student, n, bs, epochs):
    """Does minibatch_sgd return, in order, the loss of every batch as a Python float?
    minibatch_sgd 是否按顺序以 Python float 返回每个批次的损失?"""
    x, y = id_line(n, "cpu")
    losses, recorder = run(student, x, y, start_params(torch.float64, "cpu"), bs=bs, epochs=epochs, generator=gen(3))
    kind = type(losses).__name__
    assert isinstance(losses, list), Say(
        f"minibatch_sgd returned a {kind}, not a list.", f"minibatch_sgd 返回了 {kind},不是 list。"
    )
    assert all(type(v) is float for v in losses), Say(
        "The losses must be Python floats: use loss.item() on the loss update returns.",
        "损失必须是 Python float:对 update 返回的损失用 loss.item()。",
    )
    # one loss per call of update: how many calls there should be is the batch-size check's question
    assert losses == recorder.returned, Say(
        "The list does not hold the loss of every call of update, in the order of the calls.",
        "列表里不是 update 每次调用返回的损失(按调用顺序)。",
    )


def test_minibatch_passes_a_and_lr_to_update(student):
    """Does every call pass the same Parameter a (not a copy) and the given lr?
    每次调用是否传入同一个 Parameter a(不是副本)和给定的 lr?"""
    x, y = id_line(9, "cpu")
    a = start_params(torch.float64, "cpu")
    _, recorder = run(student, x, y, a, lr=0.037, bs=4, epochs=2, generator=gen(4))
    assert all(call_a is a for *_, call_a, _ in recorder.calls), Say(
        "update was not given the Parameter a itself.", "传给 update 的不是 Parameter a 本身。"
    )
    assert all(lr == 0.037 for *_, lr in recorder.calls), Say(
        "update was not given the learning rate lr.", "传给 update 的不是学习率 lr。"
    )


def test_minibatch_leaves_x_and_y_unchanged(student):
    """Does minibatch_sgd leave x and y as they were (shuffle indices, not the data)?
    minibatch_sgd 是否保持 x 和 y 不变(打乱索引,而不是数据)?"""
    x, y = id_line(12, "cpu")
    before = x.clone(), y.clone()
    run(student, x, y, start_params(torch.float64, "cpu"), bs=5, epochs=2, generator=gen(5))
    assert torch.equal(x, before[0]) and torch.equal(y, before[1]), Say(
        "minibatch_sgd modified x or y in place.", "minibatch_sgd 原地修改了 x 或 y。"
    )


@pytest.mark.parametrize("device", COMPUTE_DEVICES)
def test_minibatch_sgd_reaches_the_least_squares_fit(student, expect, device, dtype=torch.float64):
    """With correct steps, does minibatch SGD end near the least-squares solution?
    每步都正确时,小批次 SGD 最终是否接近最小二乘解?

    float64 only: this checks the algorithm (dtypes are checked above).
    """
    x, y = hidden_line(150, dtype, device, seed=4)
    a = start_params(dtype, device)
    optimum = expect("optimum", lambda: lesson_ref.lstsq_optimum(x, y))
    # 2 x 10 epochs of 5 batches: over 30 data seeds the reference ends within 0.009 of the optimum
    run(student, x, y, a, lr=0.2, bs=30, epochs=10, generator=gen(6, device), step=True)
    run(student, x, y, a, lr=0.02, bs=30, epochs=10, generator=gen(7, device), step=True)
    assert_value(a.detach(), optimum, Say("a after minibatch SGD", "小批次 SGD 之后的 a"), atol=3e-2, rtol=0)
