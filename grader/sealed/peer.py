"""What both ends of the grader-worker connection share: requests with ids and deadlines, calls, values.

Either side may call the other while one of its own requests is in flight (the worker calls back into a
grader function patched into the student's globals; the grader back-propagates through a result), so
every wait reads the peer's frames until its own reply comes, and hands each request it reads to
`serve_one`, which a subclass restricts to what the conversation allows at that moment.
Every request has an unguessable id that its reply must quote, and a deadline fixed when it is sent:
nested requests get the earlier of their own and their parent's, and nothing the peer sends moves it.
"""

import builtins
import secrets
import time
from dataclasses import dataclass

import torch

from grader.sealed import values as v
from grader.sealed.frames import (
    DEFAULT_LIMITS,
    BadFrame,
    FrameLimits,
    PeerGone,
    PeerTimeout,
    over_limits,
    recv_frame,
    send_frame,
)


class RemoteError(Exception):
    """The called code raised; `kind` is its exception class name."""

    def __init__(self, kind: str, message: str):
        super().__init__(f"{kind}: {message}")
        self.kind, self.message = kind, message


class Refused(Exception):
    """A request this end will not serve now (out of turn, an expired callback): the caller is told why."""


@dataclass
class Pending:
    """One of our requests awaiting its reply."""

    id: int
    op: str
    deadline: float | None


class Peer:
    """One end of a connection: calls the other side, and serves the requests the state allows."""

    def __init__(self, sock, limits: FrameLimits = DEFAULT_LIMITS):
        self.sock = sock
        self.limits = limits
        self.pending: list[Pending] = []  # our requests in flight, innermost last
        self.own: dict[int, object] = {}  # ref -> our tensor or generator sent to the other side
        self.ref_of: dict[int, int] = {}  # id(our object) -> its ref
        self.their_ref: dict[int, int] = {}  # id(local copy of theirs) -> their ref
        self.copies: list = []  # their objects' copies, kept alive for the session so ids stay unique
        # keep_identity: an object of theirs sent again is the same local copy, given its new state (the worker
        # sets it, so that student code sees one Parameter across calls as in a kernel); else a copy per call
        self.keep_identity = False
        self.copy_of: dict[int, object] = {}  # their ref -> its local copy, where identity is kept
        self.graphs: dict[int, tuple] = {}  # handle -> (result, leaves), for their backward requests
        self.takes_gradients = False  # whether a call's reply may bring its scalar result's gradients (the worker)
        self.ready: dict[int, list] = {}  # handle -> the gradients that came with that result, while decoding it
        self.next_ref = 0
        self.default_timeout: float | None = None  # for requests that name none (backward)

    # -- requests -----------------------------------------------------------------------------------------
    def request(self, message: dict, timeout: float | None = None):
        """Send `message`, serve the peer until its reply comes; -> the value it returned."""
        return self.exchange(message, timeout).get("value")

    def exchange(self, message: dict, timeout: float | None = None) -> dict:
        """Send `message`, serve the peer until its reply comes; -> the reply (a "return" message).

        timeout: seconds from now (default: `default_timeout`), never later than the enclosing request's.
        """
        timeout = self.default_timeout if timeout is None else timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        outer = self.pending[-1].deadline if self.pending else None
        deadline = outer if deadline is None else (deadline if outer is None else min(deadline, outer))
        deadline = self.cap_deadline(deadline)
        pending = Pending(secrets.randbits(62), str(message["op"]), deadline)
        self.pending.append(pending)
        try:
            send_frame(self.sock, {**message, "id": pending.id}, pending.deadline)
            while True:
                incoming = recv_frame(self.sock, pending.deadline, self.limits)
                if type(incoming) is not dict or type(incoming.get("op")) is not str:
                    raise BadFrame("a frame that is not a message")
                op = incoming["op"]
                if op in ("return", "raise"):
                    if incoming.get("re") != pending.id:
                        self.out_of_turn(f"a reply to a request that was not the one in progress ({op})")
                        raise BadFrame("a reply to a request that was not the one in progress")
                    if op == "raise":
                        raise RemoteError(_text(incoming.get("kind"), 200), _text(incoming.get("message"), 4000))
                    return incoming
                self.serve_one(incoming)
        finally:
            self.pending.pop()

    def cap_deadline(self, deadline: float | None) -> float | None:
        """The deadline a request really gets (the grader caps it with the submission's budget)."""
        return deadline

    def extend(self, seconds: float) -> None:
        """A new deadline for the innermost request in flight (only where the owner's state machine allows)."""
        if self.pending:
            self.pending[-1].deadline = self.cap_deadline(time.monotonic() + seconds)

    def out_of_turn(self, what: str) -> None:
        """Called for each request or reply the conversation does not allow now (the grader records it)."""

    # -- serving ------------------------------------------------------------------------------------------
    def serve_one(self, message: dict) -> None:
        """Answer one request of the peer: its reply, or the exception it raised."""
        request_id = message.get("id")
        if type(request_id) is not int:
            raise BadFrame("a request without an id")
        try:
            reply = self.handle(message)
        except (PeerGone, PeerTimeout):
            raise
        except BaseException as err:  # the student's code may raise anything, SystemExit included
            reply = {"op": "raise", "kind": type(err).__name__, "message": _text(str(err), 2000)}
        why = over_limits(reply, self.limits)
        if why is not None:  # the other side would drop the connection: say which limit instead
            reply = {"op": "raise", "kind": "Unsendable", "message": f"the reply is over the protocol's limits: {why}"}
        send_frame(self.sock, {**reply, "re": request_id}, self.pending[-1].deadline if self.pending else None)

    def handle(self, message: dict) -> dict:
        """The reply to `message` (see `returning`); raise to refuse. Subclasses say which requests they serve."""
        raise Refused(f"unknown request {message.get('op')!r}")

    def serve_call(self, message: dict, fn, run=None) -> dict:
        """Run fn(*args, **kwargs) from a call message; -> the reply with result, effects, and what `run` adds.

        run(fn, args, kwargs) -> (result, extra fields of the reply); plain fn(*args, **kwargs) by default.
        """
        received: list = []
        args = self.decode(_field(message, "args", list), received)
        kwargs = self.decode(_field(message, "kwargs", dict), received)
        if type(args) is not list or type(kwargs) is not dict:
            raise BadFrame("a call's arguments are not a list and a dict")
        leaves = [t for t in received if isinstance(t, torch.Tensor) and t.requires_grad]
        marks = [v.Mark(obj) if isinstance(obj, torch.Tensor) else None for obj in received]
        if "rng" in message:  # the caller's global RNG: torch.manual_seed there must steer the call here
            torch.set_rng_state(v.from_raw(message["rng"], self.limits))
        result, extra = run(fn, args, kwargs) if run else (fn(*args, **kwargs), {})
        value = self.encode(result, [], leaves=leaves)
        effects: list[list | None] = []
        for obj, mark in zip(received, marks, strict=True):
            if mark is None:  # a generator: its state always goes back
                effects.append([False, v.state_of(obj)])
            elif mark.changed(obj):
                effects.append([mark.in_place(obj), v.state_of(obj)])
            else:
                effects.append(None)
        return {"op": "return", "value": value, "effects": effects, "rng": v.raw(torch.get_rng_state()), **extra}

    # -- calling the other side ---------------------------------------------------------------------------
    def call(self, target: dict, args=(), kwargs=None, timeout: float | None = None, **fields) -> tuple:
        """Call the other side's `target`; apply the effects on the arguments. -> (result, the whole reply)."""
        sent: list = []
        message = {
            "op": "call",
            "target": target,
            "args": self.encode(list(args), sent),
            "kwargs": self.encode(dict(kwargs or {}), sent),
            "rng": v.raw(torch.get_rng_state()),
            **fields,
        }
        reply = self.exchange(message, timeout)
        effects = reply.get("effects")
        if type(effects) is not list or len(effects) != len(sent):
            raise BadFrame("the reply's effects do not match the call's arguments")
        for obj, effect in zip(sent, effects, strict=True):
            if effect is None:
                continue
            if type(effect) is not list or len(effect) != 2 or type(effect[0]) is not bool:
                raise BadFrame("an effect is not [changed_in_place, state]")
            v.apply_state(obj, effect[1], effect[0], self.limits)
        if "rng" in reply:
            rng = v.from_raw(reply["rng"], self.limits)
            if rng.dtype != torch.uint8 or rng.dim() != 1:
                raise BadFrame("a global RNG state that is not a byte vector")
            torch.set_rng_state(rng)
        grad_inputs = [t for t in sent if isinstance(t, torch.Tensor) and t.requires_grad]
        if self.takes_gradients and "gradients" in reply:
            self.ready = self._gradients(reply["gradients"], len(grad_inputs))
        try:
            return self.decode(reply.get("value"), [], grad_inputs), reply
        finally:
            self.ready = {}

    def _gradients(self, data, count: int) -> dict[int, list]:
        """{handle: gradients} from a reply's [handle, [gradient or None per input that requires grad]]."""
        if type(data) is not list or len(data) != 2 or type(data[0]) is not int:
            raise BadFrame("a result's gradients are not [handle, gradients]")
        grads = self.decode(data[1], [])
        if type(grads) is not list or len(grads) != count:
            raise BadFrame("a result's gradients do not match the inputs that require grad")
        if not all(g is None or isinstance(g, torch.Tensor) for g in grads):
            raise BadFrame("a result's gradient is not a tensor")
        return {data[0]: grads}

    # -- values -------------------------------------------------------------------------------------------
    def encode(self, obj, sent: list, leaves=None, depth: int = 0):
        """Plain data for `obj`; tensors and generators are noted in `sent` in traversal order."""
        if depth > self.limits.max_depth // 2:
            raise v.Unsendable("a value nested too deeply to pass across")
        if obj is None or type(obj) in (bool, int, float, str):
            if type(obj) is int and not -(2**63) <= obj < 2**64:
                raise v.Unsendable("an integer too large to pass across")
            return obj
        if type(obj) is list:
            return [self.encode(x, sent, leaves, depth + 1) for x in obj]
        if type(obj) is tuple:
            return {v.TUPLE: [self.encode(x, sent, leaves, depth + 1) for x in obj]}
        if isinstance(obj, dict) and all(type(k) is str for k in obj):  # nbformat's dict subclass too
            return {k: self.encode(x, sent, leaves, depth + 1) for k, x in obj.items()}
        if type(obj) in (torch.Tensor, torch.nn.Parameter):
            size = obj.numel() * obj.element_size()
            if size > self.limits.max_tensor_bytes:
                raise v.Unsendable(f"a tensor of {size} bytes is over the limit of {self.limits.max_tensor_bytes}")
            sent.append(obj)
            whose, ref = self._ref(obj)
            handle = None
            if leaves is not None and obj.requires_grad and obj.grad_fn is not None:
                handle = self._new_ref()
                self.graphs[handle] = (obj, leaves)
            return {v.TENSOR: [whose, ref, v.tensor_state(obj), handle]}
        if v.is_generator(obj):
            sent.append(obj)
            whose, ref = self._ref(obj)
            return {v.GENERATOR: [whose, ref, v.generator_state(obj)]}
        if callable(obj):
            return {v.CALLBACK: self.encode_callable(obj)}
        raise v.Unsendable(
            f"a value of type {type(obj).__name__} cannot be passed across (only tensors, "
            "generators, numbers, strings, None, lists, tuples and dicts)"
        )

    def encode_callable(self, fn) -> int:
        raise v.Unsendable("a function cannot be passed across from here")

    def decode_callback(self, handle: int):
        raise BadFrame("a function reference from a side that may not send one")

    def decode(self, data, received: list, grad_inputs=None):
        """The local value for plain data from a frame (already bounded in depth and size by frames.py)."""
        if data is None or type(data) in (bool, int, float, str):
            return data
        if type(data) is list:
            return [self.decode(x, received, grad_inputs) for x in data]
        if type(data) is not dict:
            raise BadFrame(f"unexpected {type(data).__name__} in a value")
        tag, payload = v.tag_of(data)
        if tag == 0:
            assert isinstance(payload, dict)  # tag_of gives a dict for tag 0
            return {k: self.decode(x, received, grad_inputs) for k, x in payload.items()}
        if tag == v.TUPLE:
            if type(payload) is not list:
                raise BadFrame("a tuple that is not a list of items")
            return tuple(self.decode(x, received, grad_inputs) for x in payload)
        if tag == v.CALLBACK:
            if type(payload) is not int:
                raise BadFrame("a function reference that is not an int")
            return self.decode_callback(payload)
        size = 4 if tag == v.TENSOR else 3
        if type(payload) is not list or len(payload) != size or payload[0] not in (v.MINE, v.YOURS):
            raise BadFrame("a tensor or generator reference is malformed")
        if type(payload[1]) is not int or (size == 4 and payload[3] is not None and type(payload[3]) is not int):
            raise BadFrame("a reference that is not an int")
        whose, ref, state = payload[:3]
        if whose == v.YOURS:  # one of ours, coming back: same object, new state
            obj = self.own.get(ref)
            expected = torch.Generator if tag == v.GENERATOR else torch.Tensor
            if not isinstance(obj, expected):
                raise BadFrame("a reference to an object that was never sent")
            v.apply_state(obj, state, True, self.limits)
        elif self.keep_identity and ref in self.copy_of:  # sent before: the same object, as a kernel would pass it
            obj = self.copy_of[ref]
            if isinstance(obj, torch.Generator) != (tag == v.GENERATOR):
                raise BadFrame("a reference sent again as another kind of object")
            v.apply_state(obj, state, False, self.limits)  # through .data: no version bump for earlier graphs
        else:
            obj = v.new_object(tag, state, self.limits)  # a fresh copy: earlier graphs stay intact
            self.copies.append(obj)
            self.their_ref[id(obj)] = ref
            if self.keep_identity:
                self.copy_of[ref] = obj
        received.append(obj)
        is_float = isinstance(obj, torch.Tensor) and obj.is_floating_point()
        if size == 4 and payload[3] is not None and grad_inputs is not None and is_float:
            return RemoteGrad.apply(obj, self, payload[3], self.ready.pop(payload[3], None), *grad_inputs)
        return obj

    def _ref(self, obj) -> tuple[int, int]:
        theirs = self.their_ref.get(id(obj))
        if theirs is not None:
            return v.YOURS, theirs
        ref = self.ref_of.get(id(obj))
        if ref is None:
            ref = self._new_ref()
            self.own[ref] = obj
            self.ref_of[id(obj)] = ref
        return v.MINE, ref

    def _new_ref(self) -> int:
        self.next_ref += 1
        return self.next_ref

    def backward_for(self, message: dict):
        """Serve a backward request: gradients of one of our results for the leaves of its call."""
        handle = _field(message, "handle", int)
        if handle not in self.graphs:
            raise Refused("no result with that handle is live")
        grad = self.decode(message.get("grad"), [])
        if not isinstance(grad, torch.Tensor):
            raise BadFrame("a backward request without a gradient tensor")
        return returning(self.encode(self.gradients(handle, grad), []))

    def gradients(self, handle: int, grad: torch.Tensor | None) -> list:
        """Gradients of our result `handle` for the leaves of its call (grad None: ones, for a scalar result)."""
        result, leaves = self.graphs[handle]
        grads = torch.autograd.grad(result, leaves, grad, retain_graph=True, allow_unused=True)
        return [None if g is None else g.detach() for g in grads]


class RemoteGrad(torch.autograd.Function):
    """Joins a result computed on the other side to the local graph; backward asks the other side.

    `ready`: the gradients that came with a scalar result (for an incoming gradient of exactly 1, as
    `loss.backward()` gives): the other side computed them as a backward request would, so none is sent.
    """

    @staticmethod
    def forward(ctx, value, peer, handle, ready, *inputs):
        ctx.peer, ctx.handle, ctx.ready = peer, handle, ready
        return value.clone()

    @staticmethod
    def backward(ctx, grad):
        if ctx.ready is not None and grad.dim() == 0 and grad.device.type != "meta" and grad.item() == 1.0:
            return (None, None, None, None, *(None if g is None else g.clone() for g in ctx.ready))
        reply = ctx.peer.request({"op": "backward", "handle": ctx.handle, "grad": ctx.peer.encode(grad, [])})
        grads = ctx.peer.decode(reply, [])
        if type(grads) is not list:
            raise BadFrame("a backward reply that is not a list of gradients")
        return (None, None, None, None, *grads)


class Callback:
    """A function of the grader's, called from the worker (e.g. the recording `update`)."""

    def __init__(self, peer: Peer, handle: int):
        self.peer, self.handle = peer, handle

    def __call__(self, *args, **kwargs):
        return self.peer.call({"callback": self.handle}, args, kwargs)[0]


def returning(value) -> dict:
    """The reply that returns `value` (plain data)."""
    return {"op": "return", "value": value}


def _field(message: dict, name: str, kind: type):
    value = message.get(name)
    if type(value) is not kind:
        raise BadFrame(f"a {message.get('op')} message whose {name} is not {kind.__name__}")
    return value


def _text(value, limit: int) -> str:
    return str(value)[:limit]


def builtin_exception(kind: str) -> type[Exception] | None:
    """The builtin exception class of that name, if there is one (never anything else)."""
    cls = getattr(builtins, kind, None)
    return cls if isinstance(cls, type) and issubclass(cls, Exception) else None
