"""What the hidden checks share: devices, dtypes, hidden data, a recording `update`, an op tracer."""

import math

import pytest
import torch

import lesson_ref
from grader.optrace import OpTracer  # noqa: F401 (the checks import it from here)

NEEDS_CUDA = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA GPU on this machine: the cuda cases run where one exists"
)
# Devices where values are computed and compared.
COMPUTE_DEVICES = ["cpu", pytest.param("cuda", marks=NEEDS_CUDA)]
# Plus `meta` (shapes only, no data): catches tensors made on a hard-coded device on CPU-only machines.
ALL_DEVICES = [*COMPUTE_DEVICES, "meta"]
DTYPES = [pytest.param(torch.float32, id="float32"), pytest.param(torch.float64, id="float64")]


def gen(seed: int, device="cpu") -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


def hidden_line(n, dtype, device, seed=0):
    """Regression data unlike the lesson's (other n, slope and noise). -> x: (n, 2), y: (n,)."""
    return lesson_ref.make_linear_data(n, [-1.5, 0.75], noise=0.5, generator=gen(seed), device=device, dtype=dtype)


def start_params(dtype, device) -> torch.nn.Parameter:
    """The lesson's starting guess a = (-1, 1) as a fresh leaf Parameter."""
    return torch.nn.Parameter(torch.tensor([-1.0, 1.0], dtype=dtype, device=device))


def ratio_hint(got: torch.Tensor, expected: torch.Tensor, n: int) -> str:
    """Name the usual mistake behind a wrong loss value, from the ratio got / expected (n stays hidden)."""
    if got.shape != expected.shape:
        return f" Your result has shape {tuple(got.shape)}, not a 0-dim tensor: check for (n,1)-vs-(n,) broadcasting."
    if expected.item() == 0 or not torch.isfinite(got):
        return ""
    ratio = (got / expected).item()
    hints = [(0.5, "it is half the expected value: did you halve it?"),
             (2.0, "it is twice the expected value: did you double it?")]
    if n > 2:
        hints += [(n, "it is n times the expected value: did you sum instead of taking the mean?"),
                  (1 / n, "it is 1/n of the expected value: did you divide by n twice?")]
    return next((f" Your value is wrong by a constant factor: {hint}" for factor, hint in hints
                 if math.isclose(ratio, factor, rel_tol=1e-3)), "")


def assert_value(got, expected, what: str, hint: str = "", **tol):
    """assert_close with a message a student can act on."""
    try:
        torch.testing.assert_close(got, expected, **tol)
    except AssertionError as err:
        raise AssertionError(f"{what} is wrong.{hint}\n{_short(err)}") from None


def assert_0dim_like(got, dtype, device, name: str):
    """A loss must be a 0-dim tensor of the inputs' dtype on the inputs' device."""
    assert isinstance(got, torch.Tensor), f"{name} returned {type(got).__name__}; return a tensor (no .item())."
    assert got.shape == (), f"{name} returned shape {tuple(got.shape)}; a mean over the batch is 0-dim."
    assert got.dtype == dtype, f"{name} returned {got.dtype} for {dtype} inputs: do not hard-code a dtype."
    assert got.device.type == device, f"{name} returned a tensor on {got.device} for inputs on {device}."


def loss_grads(fn, name: str, *inputs, wrt: int):
    """Gradients of fn(*inputs) for the first `wrt` inputs, which must keep their graph."""
    inputs = [t.clone().requires_grad_(i < wrt) for i, t in enumerate(inputs)]
    loss = fn(*inputs)
    assert isinstance(loss, torch.Tensor) and loss.requires_grad, (
        f"{name}'s result does not require grad: do not use .item(), float() or .detach() inside {name}.")
    return torch.autograd.grad(loss, inputs[:wrt])


def _short(err: AssertionError) -> str:
    lines = [ln for ln in str(err).splitlines() if ln.strip()]
    return "\n".join(lines[:4])


class RecordingUpdate:
    """Stands in for the student's `update` inside `minibatch_sgd`: records each call's batch."""

    def __init__(self, step: bool):
        self.step = step  # True: take the reference step; False: leave `a` alone
        self.calls = []  # (x batch, y batch, a, lr), on the CPU where the batch has data
        self.returned = []  # the losses handed back, as floats

    def __call__(self, x, y, a, lr):
        on_meta = x.device.type == "meta"
        self.calls.append((x.detach() if on_meta else x.detach().cpu().clone(),
                           y.detach() if on_meta else y.detach().cpu().clone(), a, lr))
        if self.step and not on_meta:
            loss = lesson_ref.update(x, y, a, lr)
        else:
            # a distinct value per call, on the CPU so that .item() works even for meta inputs
            loss = torch.tensor(0.5 + len(self.calls), dtype=torch.float64)
        self.returned.append(loss.item())
        return loss

    def batch_sizes(self) -> list[int]:
        return [x.shape[0] for x, *_ in self.calls]


def epochs_of(calls, n, bs, epochs):
    """Split recorded calls into epochs of ceil(n / bs) calls each."""
    per = math.ceil(n / bs)
    return [calls[i * per:(i + 1) * per] for i in range(epochs)]


def id_line(n, device, dtype=torch.float64):
    """Data whose rows say who they are: x = [i, 1], y = 1000 + i. -> x: (n, 2), y: (n,)."""
    i = torch.arange(n, dtype=dtype)
    x = torch.stack([i, torch.ones(n, dtype=dtype)], dim=1)
    return x.to(device), (1000 + i).to(device)


FORBIDDEN_OPS = {"_log_softmax", "log_softmax", "nll_loss_forward", "nll_loss2d_forward", "nll_loss_nd",
                 "cross_entropy_loss"}
