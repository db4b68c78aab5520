"""Values that cross between the grader and a worker, as plain msgpack data, and back.

One tagging scheme: a value is msgpack's own None, bool, int, float, str, list, or a map with string keys
(a dict); anything else is a map with exactly one integer key, its tag:

    {TUPLE: [items]}
    {TENSOR: [whose, ref, state, handle]}     state = [data, requires_grad, is_parameter, grad | None]
    {GENERATOR: [whose, ref, state]}          state = [device, rng]
    {CALLBACK: handle}                        a grader function the worker may call while it is live

`data`, `grad` and `rng` are raw arrays [dtype, shape, device, bytes], with bytes == shape x itemsize.
`whose` says whose object it is from the sender's side: MINE (a new copy for the receiver, remembered by
`ref`) or YOURS (the receiver's own object `ref`, coming back with its new state), so each end keeps its
own numbering and no sign or side flag is needed. Only exact torch.Tensor / nn.Parameter / Generator
objects and plain data cross; decoding builds nothing else, so nothing a worker sends runs code here.
"""

import math
import re

import torch

from grader.devicesim import MetaGenerator
from grader.sealed.frames import DEFAULT_LIMITS, BadFrame, FrameLimits

TUPLE, TENSOR, GENERATOR, CALLBACK = 1, 2, 3, 4
MINE, YOURS = 0, 1
MAX_DIMS = 8
DEVICE = re.compile(r"(cpu|meta|cuda(:\d{1,2})?)\Z")
DTYPES = {
    str(d).removeprefix("torch."): d
    for d in (
        torch.float16,
        torch.bfloat16,
        torch.float32,
        torch.float64,
        torch.complex64,
        torch.complex128,
        torch.uint8,
        torch.int8,
        torch.int16,
        torch.int32,
        torch.int64,
        torch.bool,
    )
}


def is_generator(obj) -> bool:
    """A plain torch.Generator, or one that reports the meta device (the checks' stand-in for CUDA's)."""
    return type(obj) is torch.Generator or (isinstance(obj, torch.Generator) and obj.device.type == "meta")


class Unsendable(TypeError):
    """A value that cannot cross the boundary (only tensors, generators and plain data can)."""


def raw(t: torch.Tensor) -> list:
    """[dtype, shape, device, bytes] of a tensor (no bytes for meta)."""
    t = t.detach()
    dtype = str(t.dtype).removeprefix("torch.")
    if dtype not in DTYPES:
        raise Unsendable(f"tensors of dtype {dtype} cannot be passed across")
    if t.device.type == "meta":
        data = b""
    else:
        flat = t.resolve_conj().resolve_neg().cpu().contiguous().reshape(-1)
        data = flat.view(torch.uint8).numpy().tobytes()
    return [dtype, list(t.shape), str(t.device), data]


def from_raw(value, limits: FrameLimits = DEFAULT_LIMITS) -> torch.Tensor:
    """The tensor a raw array describes; its bytes must be exactly shape x itemsize, within the limit."""
    if type(value) is not list or len(value) != 4:
        raise BadFrame("a tensor's description is not [dtype, shape, device, bytes]")
    dtype_name, shape, device, data = value
    dtype = DTYPES.get(dtype_name) if type(dtype_name) is str else None
    if dtype is None:
        raise BadFrame(f"a tensor of unknown dtype {str(dtype_name)[:40]!r}")
    if type(shape) is not list or len(shape) > MAX_DIMS or any(type(n) is not int or n < 0 for n in shape):
        raise BadFrame(f"a tensor shape must be at most {MAX_DIMS} non-negative ints")
    if type(device) is not str or not DEVICE.match(device):
        raise BadFrame(f"a tensor on an unknown device {str(device)[:40]!r}")
    if type(data) is not bytes:
        raise BadFrame("a tensor's data is not bytes")
    size = math.prod(shape) * dtype.itemsize
    if size > limits.max_tensor_bytes:
        raise BadFrame(f"a tensor of {size} bytes is over the {limits.max_tensor_bytes} byte limit")
    if device == "meta":
        if data:
            raise BadFrame("a meta tensor carries no bytes")
        return torch.empty(shape, dtype=dtype, device="meta")
    if len(data) != size:
        raise BadFrame(f"a tensor's {len(data)} bytes do not match its shape and dtype ({size} bytes)")
    t = (
        torch.frombuffer(bytearray(data), dtype=torch.uint8).view(dtype).reshape(shape)
        if size
        else torch.empty(shape, dtype=dtype)
    )
    return t if device == "cpu" else t.to(device)


def tensor_state(obj: torch.Tensor) -> list:
    grad = obj.grad if obj.is_leaf else None  # only a leaf keeps .grad (reading it elsewhere warns)
    return [raw(obj), obj.requires_grad, isinstance(obj, torch.nn.Parameter), None if grad is None else raw(grad)]


def generator_state(gen: torch.Generator) -> list:
    return [str(gen.device), raw(torch.Generator.get_state(gen))]


def state_of(obj) -> list:
    return generator_state(obj) if isinstance(obj, torch.Generator) else tensor_state(obj)


def _check_tensor_state(state) -> None:
    if type(state) is not list or len(state) != 4 or type(state[1]) is not bool or type(state[2]) is not bool:
        raise BadFrame("a tensor's state is not [data, requires_grad, is_parameter, grad]")


def _check_generator_state(state) -> None:
    if type(state) is not list or len(state) != 2 or type(state[0]) is not str or not DEVICE.match(state[0]):
        raise BadFrame("a generator's state is not [device, rng]")


def apply_state(obj, state, changed_in_place: bool, limits: FrameLimits = DEFAULT_LIMITS) -> None:
    """Give our object `obj` the state the other side reports for it after a call.

    changed_in_place: the other side's version counter moved (copy_, which moves ours too); else the data
    may still have changed through `.data`, which no version counter sees (copied the same way here).
    """
    if isinstance(obj, torch.Generator):
        _check_generator_state(state)
        obj.set_state(from_raw(state[1], limits))
        return
    _check_tensor_state(state)
    data = from_raw(state[0], limits)
    with torch.no_grad():
        if data.shape == obj.shape and data.dtype == obj.dtype and data.device == obj.device:
            (obj if changed_in_place else obj.data).copy_(data)
        else:
            obj.data = data
    if obj.is_leaf:
        obj.requires_grad_(state[1] and obj.is_floating_point())
        obj.grad = None if state[3] is None else from_raw(state[3], limits)


def new_object(tag: int, state, limits: FrameLimits = DEFAULT_LIMITS):
    """A fresh local copy of the other side's tensor or generator."""
    if tag == GENERATOR:
        _check_generator_state(state)
        gen = MetaGenerator() if state[0] == "meta" else torch.Generator(device=state[0])
        gen.set_state(from_raw(state[1], limits))
        return gen
    _check_tensor_state(state)
    value = from_raw(state[0], limits)  # already a fresh buffer of its own
    wants_grad = state[1] and value.is_floating_point()
    obj = torch.nn.Parameter(value, requires_grad=wants_grad) if state[2] else value.requires_grad_(wants_grad)
    obj.grad = None if state[3] is None else from_raw(state[3], limits)
    return obj


class Mark:
    """What tells whether a call changed a tensor argument: identities and version counters, no values."""

    __slots__ = ("dtype", "grad", "grad_version", "param", "ptr", "requires_grad", "shape", "version")

    def __init__(self, obj: torch.Tensor):
        grad = obj.grad if obj.is_leaf else None
        self.version = obj._version
        self.ptr = obj.data_ptr() if obj.device.type != "meta" else 0
        self.shape = tuple(obj.shape)
        self.dtype = obj.dtype
        self.requires_grad = obj.requires_grad
        self.grad = grad  # kept alive, compared by identity
        self.grad_version = None if grad is None else grad._version
        self.param = isinstance(obj, torch.nn.Parameter)

    def in_place(self, obj: torch.Tensor) -> bool:
        """The tensor's own version counter moved."""
        return obj._version != self.version

    def changed(self, obj: torch.Tensor) -> bool:
        """Anything about `obj` that the caller must see: in-place ops, new storage, new grad, a trainable leaf.

        A leaf that requires grad may have been stepped through `.data`, which bumps no version counter, so
        its state always goes back; so does a meta leaf (nothing to compare).
        """
        grad = obj.grad if obj.is_leaf else None
        return (
            self.in_place(obj)
            or (obj.is_leaf and (obj.requires_grad or obj.device.type == "meta"))
            or (obj.data_ptr() if obj.device.type != "meta" else 0) != self.ptr
            or tuple(obj.shape) != self.shape
            or obj.dtype != self.dtype
            or obj.requires_grad != self.requires_grad
            or grad is not self.grad
            or (grad is not None and grad._version != self.grad_version)
        )


def is_tag(data, tag: int) -> bool:
    return type(data) is dict and len(data) == 1 and tag in data


def tag_of(data) -> tuple[int, object]:
    """(tag, payload) of a tagged map; BadFrame for a map that is neither tagged nor a dict of strings."""
    if len(data) == 1:
        [(key, payload)] = data.items()
        if type(key) is int:
            if key not in (TUPLE, TENSOR, GENERATOR, CALLBACK):
                raise BadFrame(f"unknown value tag {key}")
            return key, payload
    if not all(type(k) is str for k in data):
        raise BadFrame("a map whose keys are not all strings")
    return 0, data
