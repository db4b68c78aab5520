"""What the hidden checks share: messages, devices, dtypes, tolerances, hidden data, a recording `update`."""

import math
from dataclasses import dataclass

import pytest
import torch

import lesson_ref
from grader.optrace import OpTracer  # noqa: F401 (the checks import it from here)
from grader.stand_in import placeholder_loss

NEEDS_CUDA = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA GPU on this machine: the cuda cases run where one exists"
)
# Set by the sealed grader where its sandbox cannot use the GPU (grader/sealed/gpu.py): why; the cuda cases skip.
CUDA_UNUSABLE: str | None = None
# Devices where values are computed and compared.
COMPUTE_DEVICES = ["cpu", pytest.param("cuda", marks=NEEDS_CUDA)]
# Plus `meta` (shapes only, no data): catches tensors made on a hard-coded device on CPU-only machines.
ALL_DEVICES = [*COMPUTE_DEVICES, "meta"]
DTYPES = [pytest.param(torch.float32, id="float32"), pytest.param(torch.float64, id="float64")]

# Value comparisons, per dtype, the same on cpu and cuda. float32 allows for another summation order
# (a loop, a GPU reduction): ~sqrt(n) * 6e-8 relative for the checks' n <= 257. TF32 stays off, as
# PyTorch's default for matmul; a notebook that turns it on computes float32 x@a with 10-bit mantissas
# (~1e-3 relative) and fails the float32 cuda cases: it loses the "any device" points.
TOLERANCES = {torch.float32: dict(rtol=1e-5, atol=1e-6), torch.float64: dict(rtol=1e-7, atol=1e-9)}


@dataclass(frozen=True)
class Say:
    """A failure message in English and Chinese; `+` joins two messages half by half."""

    en: str
    zh: str = ""

    def __add__(self, other: "Say") -> "Say":
        return Say(f"{self.en} {other.en}".strip(), self.zh + other.zh)

    def __str__(self) -> str:
        return f"{self.en}\n{self.zh}" if self.zh else self.en


NO_HINT = Say("")


def gen(seed: int, device="cpu") -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


def hidden_line(n, dtype, device, seed=0):
    """Regression data unlike the lesson's (other n, slope and noise). -> x: (n, 2), y: (n,)."""
    return lesson_ref.make_linear_data(n, [-1.5, 0.75], noise=0.5, generator=gen(seed), device=device, dtype=dtype)


def start_params(dtype, device) -> torch.nn.Parameter:
    """The lesson's starting guess a = (-1, 1) as a fresh leaf Parameter."""
    return torch.nn.Parameter(torch.tensor([-1.0, 1.0], dtype=dtype, device=device))


def as_value(got, like: torch.Tensor):
    """A returned loss as a tensor to compare values with: a float or a tensor of another dtype is a value too."""
    try:
        value = torch.as_tensor(got).detach().to(like.device, like.dtype)
        # a one-element result of another shape is judged on its value here; its shape costs the shape check's points
        return value.reshape(like.shape) if value.numel() == like.numel() == 1 else value
    except (TypeError, RuntimeError, ValueError):
        raise AssertionError(
            Say(
                f"The result is a {type(got).__name__}, not a number or a tensor.",
                f"返回值是 {type(got).__name__},不是数字或张量。",
            )
        ) from None


def ratio_hint(got: torch.Tensor, expected: torch.Tensor, n: int) -> Say:
    """Name the usual mistake behind a wrong loss value, from the ratio got / expected (n stays hidden)."""
    if got.shape != expected.shape:
        return Say(
            f"Your result has shape {tuple(got.shape)}, not a 0-dim tensor: check for (n,1)-vs-(n,) broadcasting.",
            f"你的结果形状是 {tuple(got.shape)},不是 0 维张量:检查 (n,1) 与 (n,) 的广播。",
        )
    if expected.item() == 0 or not torch.isfinite(got):
        return NO_HINT
    ratio = (got / expected).item()
    hints = [
        (0.5, Say("It is half the expected value: did you halve it?", "它是期望值的一半:你是否除以了 2?")),
        (2.0, Say("It is twice the expected value: did you double it?", "它是期望值的两倍:你是否乘以了 2?")),
    ]
    if n > 2:
        hints += [
            (
                n,
                Say(
                    "It is n times the expected value: did you sum instead of taking the mean?",
                    "它是期望值的 n 倍:你是否求和而没有取平均?",
                ),
            ),
            (
                1 / n,
                Say(
                    "It is 1/n of the expected value: did you divide by n twice?", "它是期望值的 1/n:你是否除了两次 n?"
                ),
            ),
        ]
    return next((hint for factor, hint in hints if math.isclose(ratio, factor, rel_tol=1e-3)), NO_HINT)


def assert_value(got, expected, what: Say, hint: Say = NO_HINT, **tol):
    """Compare within TOLERANCES (or `tol`); the message names what is wrong, never the hidden numbers."""
    try:
        torch.testing.assert_close(got, expected, **(tol or TOLERANCES.get(expected.dtype, {})))
    except AssertionError:
        raise AssertionError(what + Say("is wrong.", "不正确。") + hint) from None


def assert_0dim_like(got, dtype, device, name: str):
    """A loss must be a 0-dim tensor of the inputs' dtype on the inputs' device."""
    kind = type(got).__name__
    assert isinstance(got, torch.Tensor), Say(
        f"{name} returned a {kind}; return a tensor (no .item()).", f"{name} 返回了 {kind};请返回张量(不要用 .item())。"
    )
    shape = tuple(got.shape)
    assert got.shape == (), Say(
        f"{name} returned shape {shape}; a mean over the batch is 0-dim.",
        f"{name} 返回的形状是 {shape};对批次取平均的结果应是 0 维。",
    )
    assert got.dtype == dtype, Say(
        f"{name} returned {got.dtype} for {dtype} inputs: do not hard-code a dtype.",
        f"输入为 {dtype} 时 {name} 返回了 {got.dtype}:不要写死 dtype。",
    )
    assert got.device.type == device, Say(
        f"{name} returned a tensor on {got.device} for inputs on {device}.",
        f"输入在 {device} 上,{name} 却返回了 {got.device} 上的张量。",
    )


def loss_grads(fn, name: str, *inputs, wrt: int):
    """Gradients of fn(*inputs) for the first `wrt` inputs, which must keep their graph."""
    inputs = [t.clone().requires_grad_(i < wrt) for i, t in enumerate(inputs)]
    loss = fn(*inputs)
    assert isinstance(loss, torch.Tensor) and loss.requires_grad, Say(
        f"{name}'s result does not require grad: do not use .item(), float() or .detach() inside {name}.",
        f"{name} 的结果不需要梯度(计算图断了):{name} 里不要用 .item()、float() 或 .detach()。",
    )
    return torch.autograd.grad(loss, inputs[:wrt])


class RecordingUpdate:
    """Stands in for the student's `update` inside `minibatch_sgd`: records each call's batch."""

    def __init__(self, step: bool):
        self.step = step  # True: take the reference step; False: leave `a` alone
        self.calls = []  # (x batch, y batch, a, lr), on the CPU where the batch has data
        self.returned = []  # the losses handed back, as floats

    def __call__(self, x, y, a, lr):
        on_meta = x.device.type == "meta"
        self.calls.append(
            (
                x.detach() if on_meta else x.detach().cpu().clone(),
                y.detach() if on_meta else y.detach().cpu().clone(),
                a,
                lr,
            )
        )
        if self.step and not on_meta:
            loss = lesson_ref.update(x, y, a, lr)
        else:  # a distinct value per call, on the CPU so that .item() works even for meta inputs
            loss = placeholder_loss(len(self.calls))
        self.returned.append(loss.item())
        return loss

    @property
    def replayable(self) -> bool:
        """Without a step it needs nothing of the grader's: a sealed worker may play it (grader/stand_in.py)."""
        return not self.step

    def batch_sizes(self) -> list[int]:
        return [x.shape[0] for x, *_ in self.calls]


def epochs_of(calls, n, bs, epochs):
    """Split recorded calls into epochs of ceil(n / bs) calls each."""
    per = math.ceil(n / bs)
    return [calls[i * per : (i + 1) * per] for i in range(epochs)]


def id_line(n, device, dtype=torch.float64):
    """Data whose rows say who they are: x = [i, 1], y = 1000 + i. -> x: (n, 2), y: (n,)."""
    i = torch.arange(n, dtype=dtype)
    x = torch.stack([i, torch.ones(n, dtype=dtype)], dim=1)
    return x.to(device), (1000 + i).to(device)


FORBIDDEN_OPS = {
    "_log_softmax",
    "log_softmax",
    "nll_loss_forward",
    "nll_loss2d_forward",
    "nll_loss_nd",
    "cross_entropy_loss",
}
