"""The meta device made to keep CUDA's rules for random numbers, so device mistakes show on a CPU-only grader.

On a GPU, a CUDA generator only serves random ops asked for on the GPU: `torch.randperm(n, generator=g)`
(drawn on the CPU) raises "Expected a 'cuda' device type for generator but found 'cpu'". On `meta` with
`generator=None` nothing of that shows. `MetaGenerator` is a generator that says it lives on `meta`, and
`CudaLikeRandom` (a TorchFunctionMode) records the device every random op was asked for and raises as
CUDA does when a MetaGenerator serves an op on another device.

Not part of the hidden checks (nothing secret here): the checks use it in-kernel and around each sealed
call, and the sandboxed worker applies the same mode to the student's code.
"""

import torch
from torch.overrides import TorchFunctionMode

# torch functions and Tensor methods that take `generator=`
RANDOM_FUNCTIONS = {"randperm", "rand", "randn", "randint", "normal", "bernoulli", "multinomial", "poisson"}
RANDOM_METHODS = {
    "uniform_",
    "normal_",
    "random_",
    "bernoulli_",
    "bernoulli",
    "exponential_",
    "geometric_",
    "cauchy_",
    "log_normal_",
    "multinomial",
}


class MetaGenerator(torch.Generator):
    """A (CPU) generator that reports the meta device, standing in for a CUDA generator on meta data."""

    @property
    def device(self):
        return torch.device("meta")


class CudaLikeRandom(TorchFunctionMode):
    """Records (op, device asked for, generator's device or None) of each random op; a MetaGenerator must
    serve only ops on meta, as a CUDA generator serves only ops on the GPU."""

    def __init__(self):
        super().__init__()
        self.random_ops: list[tuple[str, str, str | None]] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        name = getattr(func, "__name__", "")
        if name not in RANDOM_FUNCTIONS | RANDOM_METHODS:
            return func(*args, **kwargs)
        first = args[0] if args else None
        if isinstance(first, torch.Tensor) and (name in RANDOM_METHODS or "device" not in kwargs):
            device = first.device  # a method, or torch.normal(mean, std) and co.: the tensor's device
        else:
            device = torch.device(kwargs.get("device") or "cpu")
        generator = kwargs.get("generator")
        self.random_ops.append((name, device.type, generator.device.type if generator is not None else None))
        if isinstance(generator, MetaGenerator):
            if device.type != "meta":
                raise RuntimeError(f"Expected a 'meta' device type for generator but found '{device.type}'")
            kwargs.pop("generator")  # meta draws nothing: no generator needed
        return func(*args, **kwargs)
