"""The lesson's data (a noisy line) and its closed-form least-squares fit."""

import torch


def make_linear_data(n, a, noise=0.25, generator=None, device="cpu", dtype=torch.float32):
    """The seed's data: x = [u, 1] with u ~ U(-1, 1), y = x@a + noise * N(0, 1). a: (2,) -> x: (n, 2), y: (n,).

    Drawn on the CPU (with `generator`) and then moved, so every device sees the same numbers.
    """
    a = torch.as_tensor(a, dtype=torch.float64)
    x = torch.ones(n, 2, dtype=torch.float64)
    x[:, 0].uniform_(-1.0, 1.0, generator=generator)
    y = x @ a + noise * torch.randn(n, generator=generator, dtype=torch.float64)
    return x.to(device=device, dtype=dtype), y.to(device=device, dtype=dtype)


def lstsq_optimum(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The a minimising mse(x@a, y), solved directly. x: (n, d), y: (n,) -> (d,)."""
    return torch.linalg.lstsq(x, y.unsqueeze(1)).solution.squeeze(1)
