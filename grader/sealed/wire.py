"""The two-way call protocol between the grader and a sandboxed worker (both sides use it).

A frame is JSON with the raw bytes of its tensors after it: only tensors (of a fixed list of dtypes)
and plain data cross, and reading a frame builds nothing else, so nothing the worker sends can run code
in the grader (narrower than torch.load(weights_only=True), and about 20x faster per frame).
Either side can call the other while a call is in flight (the worker calls back into a patched-in
`update`, the grader back-propagates through a result), so every wait serves the peer's requests
until its own reply arrives.
"""

import builtins
import json
import math
import socket
import struct
import time

import torch
from torch.utils._python_dispatch import _get_current_dispatch_mode_stack

from grader.optrace import OpTracer

MAX_FRAME = 256 * 2**20  # a frame larger than this is refused
HEADER = struct.Struct("!II")  # header bytes, body bytes


class PeerGone(ConnectionError):
    """The other side closed the connection, died, or sent something unreadable."""


class PeerTimeout(TimeoutError):
    """The other side did not answer before the deadline."""


class RemoteError(Exception):
    """The called code raised; `kind` is its exception class name."""

    def __init__(self, kind: str, message: str):
        super().__init__(f"{kind}: {message}")
        self.kind, self.message = kind, message


class Unsendable(TypeError):
    """A value that cannot cross the boundary (only tensors, generators and plain data can)."""


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


def send_frame(sock: socket.socket, message) -> None:
    """A frame: JSON (plain data, tensors replaced by descriptions) followed by the tensors' raw bytes."""
    blobs = []

    def pack(obj):
        if isinstance(obj, torch.Tensor):
            t = obj.detach()
            if t.device.type == "meta":
                blob = b""
            elif t.dtype == torch.bfloat16:  # numpy has no bfloat16: send its bytes as int16
                blob = t.cpu().view(torch.int16).numpy().tobytes()
            else:
                blob = t.cpu().numpy().tobytes()
            blobs.append(blob)
            return {
                "__blob__": len(blob),
                "dtype": str(t.dtype).removeprefix("torch."),
                "shape": list(t.shape),
                "device": str(t.device),
            }
        if isinstance(obj, dict):
            return {str(k): pack(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [pack(v) for v in obj]
        return obj

    header = json.dumps(pack(message)).encode()
    body = b"".join(blobs)
    try:
        sock.sendall(HEADER.pack(len(header), len(body)) + header + body)
    except OSError as err:
        raise PeerGone(str(err)) from None


def recv_frame(sock: socket.socket, deadline: float | None):
    """Read one frame; JSON builds no objects, and each tensor is checked against its description."""
    header_size, body_size = HEADER.unpack(_recv_exact(sock, HEADER.size, deadline))
    if header_size + body_size > MAX_FRAME:
        raise PeerGone(f"a frame of {header_size + body_size} bytes is over the {MAX_FRAME} byte limit")
    try:
        header = json.loads(_recv_exact(sock, header_size, deadline))
    except ValueError as err:
        raise PeerGone(f"unreadable frame: {err}") from None
    body = memoryview(_recv_exact(sock, body_size, deadline))
    offset = 0

    def unpack(obj):
        nonlocal offset
        if isinstance(obj, dict):
            if "__blob__" in obj:
                size = int(obj["__blob__"])
                blob, offset = body[offset : offset + size], offset + size
                return _tensor_from(blob, obj)
            return {k: unpack(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [unpack(v) for v in obj]
        return obj

    try:
        return unpack(header)
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise PeerGone(f"unreadable frame: {err}") from None


def _tensor_from(blob, desc) -> torch.Tensor:
    dtype = DTYPES[str(desc["dtype"])]
    shape = [int(n) for n in desc["shape"]]
    device = torch.device(str(desc["device"]))
    if device.type == "meta":
        return torch.empty(shape, dtype=dtype, device="meta")
    numel = math.prod(shape)
    if len(blob) != numel * dtype.itemsize or min(shape, default=0) < 0:
        raise ValueError("a tensor's bytes do not match its shape and dtype")
    t = torch.frombuffer(bytearray(blob), dtype=dtype).reshape(shape) if numel else torch.empty(shape, dtype=dtype)
    return t if device.type == "cpu" else t.to(device)


def _recv_exact(sock, size, deadline):
    chunks, left = [], size
    while left:
        timeout = None if deadline is None else deadline - time.monotonic()
        if timeout is not None and timeout <= 0:
            raise PeerTimeout("no answer before the deadline")
        sock.settimeout(timeout)
        try:
            chunk = sock.recv(min(left, 2**20))
        except TimeoutError:
            raise PeerTimeout("no answer before the deadline") from None
        except OSError as err:
            raise PeerGone(str(err)) from None
        if not chunk:
            raise PeerGone("the connection closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class RemoteGrad(torch.autograd.Function):
    """Joins a result computed on the other side to the local graph; backward asks the other side."""

    @staticmethod
    def forward(ctx, value, peer, handle, *inputs):
        ctx.peer, ctx.handle = peer, handle
        return value.clone()

    @staticmethod
    def backward(ctx, grad):
        if ctx.peer.call_timeout:
            ctx.peer.deadline_after(ctx.peer.call_timeout)
        grads = ctx.peer.request({"op": "backward", "handle": ctx.handle, "grad": grad})
        return (None, None, None, *grads)


class Peer:
    """One end of a connection: calls the other side, and serves its requests while waiting."""

    def __init__(self, sock: socket.socket, side: int, resolve):
        self.sock = sock
        self.side = side  # +1 grader, -1 worker: refs each side hands out have its sign
        self.resolve = resolve  # target dict -> local callable, for calls from the other side
        self.own: dict[int, object] = {}  # ref -> local object sent to the other side
        self.ref_of: dict[int, int] = {}  # id(object) -> ref, for own objects and copies of theirs
        self.copies: list = []  # local copies of their objects, kept alive: ids stay unique
        self.graphs: dict[int, tuple] = {}  # handle -> (result, leaves) for backward requests
        self.next_ref = 1
        self.deadline: float | None = None  # for every wait, set by the owner
        self.call_timeout: float | None = None  # for backward requests, which start outside the owner
        self.extra_handlers = {}

    # -- calling the other side -------------------------------------------------------------------------
    def call(self, target: dict, args=(), kwargs=None, trace=False):
        """Call the other side's `target`; apply the effects on the arguments; return the result."""
        sent = []
        message = {
            "op": "call",
            "target": target,
            "args": self.encode(list(args), sent),
            "kwargs": self.encode(dict(kwargs or {}), sent),
            "trace": trace,
        }
        reply = self.request(message)
        effects = reply.get("effects")
        if not isinstance(effects, list) or len(effects) != len(sent):
            raise PeerGone("the reply's effects do not match the call's arguments")
        for obj, state in zip(sent, effects, strict=True):
            if state is not None:
                self.apply_state(obj, state)
        grad_inputs = [t for t in sent if isinstance(t, torch.Tensor) and t.requires_grad]
        return self.decode(reply["value"], [], grad_inputs), reply.get("ops", [])

    def revoke(self, encoded) -> None:
        """Forget the callbacks in `encoded` and every graph kept for backward: none can be used later."""
        for value in encoded.get("__dict__", {}).values():
            if isinstance(value, dict) and "__callback__" in value:
                self.own.pop(value["__callback__"], None)
        self.graphs.clear()

    def deadline_after(self, seconds: float) -> None:
        """Every wait from now on ends `seconds` from now (the owner resets it per call or cell)."""
        self.deadline = time.monotonic() + seconds

    def request(self, message):
        send_frame(self.sock, message)
        while True:
            reply = recv_frame(self.sock, self.deadline)
            op = reply.get("op") if isinstance(reply, dict) else None
            if op == "return":
                return reply["value"] if message["op"] != "call" else reply
            if op == "raise":
                raise RemoteError(str(reply.get("kind")), str(reply.get("message")))
            self.serve_one(reply)

    # -- serving the other side -------------------------------------------------------------------------
    def serve_one(self, message):
        op = message.get("op") if isinstance(message, dict) else None
        try:
            if op == "call":
                reply = self._serve_call(message)
            elif op == "backward":
                result, leaves = self.graphs[message["handle"]]
                grads = torch.autograd.grad(result, leaves, message["grad"], retain_graph=True, allow_unused=True)
                reply = {"op": "return", "value": [None if g is None else g.detach() for g in grads]}
            elif op in self.extra_handlers:
                reply = {"op": "return", "value": self.extra_handlers[op](message)}
            else:
                raise PeerGone(f"unknown request {op!r}")
        except PeerGone:
            raise
        except BaseException as err:  # the student's code may raise anything, SystemExit included
            reply = {"op": "raise", "kind": type(err).__name__, "message": str(err)[:2000]}
        send_frame(self.sock, reply)

    def _serve_call(self, message):
        received = []
        target = message["target"]
        if "callback" in target and self.side > 0:
            fn = self.own.get(int(target["callback"]))
            if not callable(fn):
                raise PermissionError("that grader callback has expired: it lived only during one check")
        else:
            fn = self.resolve(target)
        args = self.decode(message["args"], received)
        kwargs = self.decode(message["kwargs"], received)
        leaves = [t for t in received if isinstance(t, torch.Tensor) and t.requires_grad]
        marks = [_mark(obj) for obj in received]
        ops = None
        if message.get("trace"):
            tracer = OpTracer()
            with tracer:
                result = fn(*args, **kwargs)
                if tracer not in _get_current_dispatch_mode_stack():
                    raise PermissionError("the call removed the grader's op tracer")
            ops = sorted(tracer.ops)
        else:
            result = fn(*args, **kwargs)
        value = self.encode(result, [], leaves=leaves)
        effects = [
            self.state(obj) if _changed(obj, before) else None for obj, before in zip(received, marks, strict=True)
        ]
        return {"op": "return", "value": value, "effects": effects, "ops": ops or []}

    # -- values -----------------------------------------------------------------------------------------
    def encode(self, obj, sent: list, leaves=None):
        """Plain data for `obj`; tensors and generators are noted in `sent` in traversal order."""
        if obj is None or type(obj) in (bool, int, float, str):
            return obj
        if type(obj) in (list, tuple):
            return {"__seq__": type(obj).__name__, "items": [self.encode(v, sent, leaves) for v in obj]}
        if type(obj) is dict and all(type(k) is str for k in obj):
            return {"__dict__": {k: self.encode(v, sent, leaves) for k, v in obj.items()}}
        if type(obj) in (torch.Tensor, torch.nn.Parameter):
            sent.append(obj)
            out = {"__tensor__": self._ref(obj), **self.state(obj)}
            if leaves is not None and obj.requires_grad and obj.grad_fn is not None:
                handle = self._new_ref()
                self.graphs[handle] = (obj, leaves)
                out["handle"] = handle
            return out
        if type(obj) is torch.Generator:
            sent.append(obj)
            return {"__generator__": self._ref(obj), **self.state(obj)}
        if callable(obj) and self.side > 0:
            handle = self._new_ref()
            self.own[handle] = obj
            return {"__callback__": handle}
        raise Unsendable(
            f"a value of type {type(obj).__name__} cannot be passed across (only tensors, "
            "generators, numbers, strings, None, lists, tuples and dicts)"
        )

    def decode(self, data, received: list, grad_inputs=None):
        if data is None or type(data) in (bool, int, float, str):
            return data
        if type(data) is not dict:
            raise PeerGone(f"unexpected {type(data).__name__} in a frame")
        if "__seq__" in data:
            items = [self.decode(v, received, grad_inputs) for v in data["items"]]
            return tuple(items) if data["__seq__"] == "tuple" else items
        if "__dict__" in data:
            return {str(k): self.decode(v, received, grad_inputs) for k, v in data["__dict__"].items()}
        if "__tensor__" in data or "__generator__" in data:
            ref = int(data.get("__tensor__", data.get("__generator__")))
            obj = self._object_for(ref, data)
            received.append(obj)
            if "handle" in data and grad_inputs is not None:
                return RemoteGrad.apply(obj, self, int(data["handle"]), *grad_inputs)
            return obj
        if "__callback__" in data and self.side < 0:
            return Callback(self, int(data["__callback__"]))
        raise PeerGone("unexpected value in a frame")

    def _object_for(self, ref, data):
        if ref * self.side > 0:  # one of ours, coming back: same object, new state
            obj = self.own.get(ref)
            if obj is None:
                raise PeerGone("a reference to an object that was never sent")
            self.apply_state(obj, data)
            return obj
        obj = _new_object(data)  # a fresh copy per call: graphs saved by earlier calls stay intact
        self.copies.append(obj)  # kept for the session, so that no other object ever gets its id()
        self.ref_of[id(obj)] = ref
        return obj

    def state(self, obj):
        if isinstance(obj, torch.Generator):
            return {"device": str(obj.device), "rng": obj.get_state()}
        grad = obj.grad if obj.is_leaf else None  # only a leaf keeps .grad (reading it elsewhere warns)
        return {
            "data": obj.detach(),
            "requires_grad": obj.requires_grad,
            "param": isinstance(obj, torch.nn.Parameter),
            "grad": None if grad is None else grad.detach(),
        }

    def apply_state(self, obj, state):
        if isinstance(obj, torch.Generator):
            obj.set_state(_tensor(state["rng"]))
            return
        data = _tensor(state["data"])
        with torch.no_grad():
            if data.shape == obj.shape and data.dtype == obj.dtype and data.device == obj.device:
                obj.copy_(data)
            else:
                obj.data = data
        if obj.is_leaf:
            obj.requires_grad_(bool(state["requires_grad"]))
            obj.grad = None if state["grad"] is None else _tensor(state["grad"])

    def _ref(self, obj):
        ref = self.ref_of.get(id(obj))
        if ref is None:
            ref = self._new_ref()
            self.own[ref] = obj
            self.ref_of[id(obj)] = ref
        return ref

    def _new_ref(self):
        self.next_ref += 1
        return self.side * self.next_ref


def _mark(obj):
    """What tells whether a call changed an argument: versions, storage, grad and requires_grad."""
    if not isinstance(obj, torch.Tensor):
        return None  # a generator: its state is always sent back
    grad = obj.grad if obj.is_leaf else None
    return (obj._version, obj.data_ptr(), obj.shape, obj.requires_grad, grad, None if grad is None else grad._version)


def _changed(obj, mark) -> bool:
    return mark is None or _mark(obj) != mark or (obj.device.type == "meta" and obj.is_leaf)


def _tensor(value) -> torch.Tensor:
    if type(value) is not torch.Tensor:
        raise PeerGone(f"expected a plain tensor, got {type(value).__name__}")
    return value


def _new_object(data):
    if "__generator__" in data:
        gen = torch.Generator(device=str(data["device"]))
        gen.set_state(_tensor(data["rng"]))
        return gen
    value = _tensor(data["data"])  # already a fresh buffer of its own
    grad = None if data["grad"] is None else _tensor(data["grad"])
    obj = (
        torch.nn.Parameter(value, requires_grad=bool(data["requires_grad"]))
        if data["param"]
        else value.requires_grad_(bool(data["requires_grad"]) and value.is_floating_point())
    )
    obj.grad = grad
    return obj


class Callback:
    """A function of the grader's, called from the worker (e.g. the recording `update`)."""

    def __init__(self, peer: Peer, handle: int):
        self.peer, self.handle = peer, handle

    def __call__(self, *args, **kwargs):
        return self.peer.call({"callback": self.handle}, args, kwargs)[0]


def builtin_exception(kind: str) -> type[Exception] | None:
    """The builtin exception class of that name, if there is one (never anything else)."""
    cls = getattr(builtins, kind, None)
    return cls if isinstance(cls, type) and issubclass(cls, Exception) else None
