"""The grader-worker protocol without a sandbox: frame limits, values, the grader's state machine, deadlines.

A "worker" here is either a thread that writes frames by hand (a hostile one), or a forked child serving
plain functions through worker_end.WorkerEnd (an honest one).
"""

import os
import signal
import socket
import threading
import time

import msgpack
import pytest
import torch

from grader.sealed import values as v
from grader.sealed.frames import (
    LENGTH,
    BadFrame,
    FrameLimits,
    PeerGone,
    PeerTimeout,
    check_shape,
    decode_body,
    encode_frame,
    recv_frame,
    send_frame,
)
from grader.sealed.grader_end import GraderEnd
from grader.sealed.peer import RemoteError
from grader.sealed.worker_end import WorkerEnd, graph_ops

# -- frames ------------------------------------------------------------------------------------------------


def test_a_plain_message_survives_a_frame():
    """Does a message of plain data come out of a frame as it went in?"""
    message = {"op": "x", "a": [1, -2, 3.5, None, True, "text", b"\x00\x01", {"k": []}]}
    assert decode_body(encode_frame(message)[LENGTH.size :]) == message


@pytest.mark.parametrize(
    "body, says",
    [
        (b"\x91" * 40 + b"\xc0", "nested more than 32"),  # [[[[...]]]] 40 deep
        (b"\xdd" + (10**6).to_bytes(4, "big") + b"\xc0" * 10, "more than 100000 items"),  # a list claiming 1e6
        (b"\xdc\xff\xff" + b"\x90" * 65535, ""),  # 65535 empty lists: fine
        (msgpack.packb([[0] * 60_000] * 4), "more than 200000 objects"),  # 240,000 objects
        (msgpack.packb("x" * (2**20 + 1)), "max_str_len"),
        (msgpack.packb(b"x" * 100), "max_bin_len"),  # with max_bin 64 below
        (b"\xd4\x01\x00", "max_ext_len"),  # a msgpack extension type
        (b"\xc1", "unreadable"),  # a byte msgpack never uses
        (b"\x92\x01", "truncated"),  # a list of 2 with 1 item
        (b"\x01\x02", "bytes after its message"),
        (b"\xa2\xff\xfe", "UnicodeDecodeError"),  # a string that is not UTF-8
        (b"\x81\x91\x01\x02", "unhashable"),  # a map whose key is a list
    ],
)
def test_the_decoder_refuses_frames_over_a_limit_or_malformed(body, says):
    """Does a frame that is too deep, too big, too many objects or not msgpack raise BadFrame, saying why?"""
    limits = FrameLimits(max_bin=64) if "bin" in says else FrameLimits()
    if not says:
        assert len(decode_body(body, limits)) == 65535
        return
    with pytest.raises(BadFrame, match=says):
        decode_body(body, limits)


def _nested(depth: int, inner=None):
    """A list (or, every third level, a map) nested `depth` levels deep around `inner`."""
    for level in range(depth):
        inner = {"k": inner} if level % 3 == 2 else [inner]
    return inner


@pytest.mark.parametrize("padding", [0, 300_000], ids=["short frame, built then checked", "long frame, walked first"])
def test_nesting_at_the_limit_passes_and_one_level_more_is_refused(padding):
    """Is a frame nested exactly 32 deep read, and one 33 deep refused, whether it is short or long?"""
    pad = b"\x00" * padding  # a long frame could hold more objects than allowed: it is walked before building
    assert decode_body(msgpack.packb([pad, _nested(31, 1)])) == [pad, _nested(31, 1)]
    with pytest.raises(BadFrame, match="nested more than 32"):
        decode_body(msgpack.packb([pad, _nested(32, 1)]))
    with pytest.raises(BadFrame, match="nested more than 32"):
        decode_body(b"\x92" + msgpack.packb(pad) + b"\x91" * 2000 + b"\xc0")  # past msgpack's own stack too


def test_short_and_long_frames_are_judged_alike():
    """Does the short frame's way (build, then check the depth) accept and refuse what the long one's walk does?"""
    bodies = [
        msgpack.packb(message)
        for message in ({"op": "x", "v": [1, [2, [3]], {"a": None}]}, _nested(32), _nested(33), [[]] * 50, "s", 7)
    ] + [
        b"\x91" * 40 + b"\xc0",
        b"\x92\x01",
        b"\x01\x02",
        b"\xc1",
        b"\x81\x91\x01\x02",
        b"\x93" + b"\x91" * 31 + b"\x90",
    ]
    for body in bodies:
        outcomes = []
        for walk_first in (False, True):
            try:
                if walk_first:  # what decode_body does for a long frame
                    check_shape(body)
                outcomes.append(("read", decode_body(body)))
            except BadFrame as err:
                outcomes.append(("refused", str(err).split(" (")[0]))
        assert outcomes[0] == outcomes[1], body


def test_a_48_mib_frame_of_nested_containers_is_refused_before_it_is_built():
    """Is the 48 MiB frame of nested empty containers (2.7 GiB of objects before) refused without building it?"""
    body = (b"\xdd" + (2**32 - 1).to_bytes(4, "big")) * 8 + b"\x90" * (48 * 2**20)
    started = time.monotonic()
    with pytest.raises(BadFrame):
        decode_body(body, FrameLimits(max_bytes=64 * 2**20))
    assert time.monotonic() - started < 5


def test_a_frame_longer_than_the_limit_is_refused_before_its_body_is_read():
    """Is a length prefix over the limit refused at once, without waiting for (or reading) the body?"""
    ours, theirs = socket.socketpair()
    theirs.sendall(LENGTH.pack(2**31))
    with pytest.raises(BadFrame, match="over the"):
        recv_frame(ours, time.monotonic() + 5, FrameLimits(max_bytes=2**20))


def test_a_peer_that_stops_mid_frame_times_out_at_the_deadline():
    """Does a frame cut short wait only until the deadline?"""
    ours, theirs = socket.socketpair()
    theirs.sendall(encode_frame({"op": "x"})[:-1])
    started = time.monotonic()
    with pytest.raises(PeerTimeout):
        recv_frame(ours, time.monotonic() + 0.3)
    assert time.monotonic() - started < 2


# -- values ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", list(v.DTYPES.values()))
def test_every_dtype_survives_the_raw_form(dtype):
    """Does every dtype the protocol allows come back bit for bit (bfloat16 and complex too)?"""
    t = (torch.arange(6, dtype=torch.float64).reshape(2, 3) * 1.5 - 2).to(dtype)
    back = v.from_raw(v.raw(t))
    assert back.dtype == t.dtype and back.shape == t.shape and torch.equal(back, t)


@pytest.mark.parametrize(
    "raw, says",
    [
        (["float32", [2, 2], "cpu", b"\x00" * 15], "do not match"),
        (["float32", [2**40, 2**40], "cpu", b""], "over the"),  # shape x dtype far above the limit
        (["float32", [-1, 4], "cpu", b""], "non-negative"),
        (["float32", [1] * 9, "cpu", b"\x00" * 4], "at most 8"),
        (["object", [1], "cpu", b"\x00" * 8], "unknown dtype"),
        (["float32", [1], "cuda:0; rm -rf", b"\x00" * 4], "unknown device"),
        (["float32", [1], "meta", b"\x00" * 4], "carries no bytes"),
        (["float32", [True], "cpu", b"\x00" * 4], "non-negative ints"),
        ("float32", "not"),
    ],
)
def test_a_tensor_whose_bytes_do_not_fit_its_shape_and_dtype_is_refused(raw, says):
    """Is a tensor refused unless its bytes are exactly shape x itemsize, within the limit, of a known kind?"""
    with pytest.raises(BadFrame, match=says):
        v.from_raw(raw)


def test_a_map_with_a_non_string_key_that_is_no_tag_is_refused():
    """Is {5: ...} or {1: ..., "a": ...} refused rather than guessed at?"""
    with pytest.raises(BadFrame, match="unknown value tag"):
        v.tag_of({5: []})
    with pytest.raises(BadFrame, match="not all strings"):
        v.tag_of({1: [], "a": 2})


def test_marks_see_a_step_through_data_and_a_grad_set_to_none_without_comparing_tensors():
    """Does the change check see `a.data -= ...; a.grad = None` (issue 11 item 4) without tensor equality?"""
    a = torch.nn.Parameter(torch.ones(3))
    ((a * 2).sum()).backward()
    mark = v.Mark(a)
    a.data -= 0.1 * a.grad
    a.grad = None
    assert mark.changed(a) and not mark.in_place(a)
    x = torch.ones(4)
    mark = v.Mark(x)
    assert not mark.changed(x)
    x.add_(1)
    assert mark.changed(x) and mark.in_place(x)


def test_marks_compare_a_replaced_grad_by_identity():
    """Is a.grad replaced by another tensor of other values a change, with no 'ambiguous boolean' error?"""
    a = torch.zeros(3, requires_grad=True)
    a.grad = torch.ones(3)
    mark = v.Mark(a)
    a.grad = torch.full((3,), 2.0)
    assert mark.changed(a)


def test_graph_ops_sees_log_softmax_even_where_no_tracer_ran():
    """Does the autograd graph of a result name the forbidden built-ins that made it?"""
    logits = torch.randn(4, 3, requires_grad=True)
    target = torch.tensor([0, 1, 2, 0])
    assert graph_ops(torch.nn.functional.cross_entropy(logits, target)) == {"_log_softmax", "nll_loss_forward"}
    assert graph_ops((logits.logsumexp(1) - logits[range(4), target]).mean()) == set()


# -- the honest worker: a forked child serving plain functions ---------------------------------------------


def _update_through_data(x, y, a, lr):
    """A correct update written with .data and a.grad = None."""
    loss = ((x @ a - y) ** 2).mean()
    loss.backward()
    a.data -= lr * a.grad
    a.grad = None
    return loss


def _noisy(x):
    import warnings

    warnings.warn("careful", stacklevel=2)
    return x * 2


def _update_via_callback(x, y, a, lr):
    loss = mse(x @ a, y)  # noqa: F821 (patched in by the grader)
    loss.backward()
    with torch.no_grad():
        a -= lr * a.grad
    a.grad.zero_()
    return loss


STUDENT = {
    "update": _update_through_data,
    "noisy": _noisy,
    "via_callback": _update_via_callback,
    "sleep": lambda seconds: time.sleep(seconds),
    "draw": lambda n, generator: torch.randperm(n, generator=generator),
    "pair": lambda t: (t, [t + 1, {"k": t.sum()}]),
    "threaded": lambda t: _in_a_thread(lambda: t * 2),
    "calls_on": lambda t: _CALLS.setdefault(t, []).append(1) or len(_CALLS[t]),  # state kept per object
    "huge": lambda: torch.empty(17 * 2**20),  # 68 MiB (empty: no fill, which may hang in a fork): over the 64 MiB
    "long": lambda: list(range(200_000)),  # over the 100,000 items a list may hold
}


_CALLS: dict = {}  # a student's module-level state, keyed by the tensor it was given


def _in_a_thread(fn):
    import threading

    out = []
    thread = threading.Thread(target=lambda: out.append(fn()))
    thread.start()
    thread.join()
    return out[0]


@pytest.fixture
def worker():
    """A GraderEnd connected to a forked child that serves STUDENT's functions (patches too)."""
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # the child: serve until the grader closes
        try:
            ours.close()
            patches = {}

            def patch(message):
                fn = STUDENT[message["function"]]
                patches.update(end.decode(message["globals"], []))
                fn.__globals__.update(patches)
                return 1

            end = WorkerEnd(theirs, lambda target: STUDENT[target["name"]], {"patch": patch, "unpatch": lambda m: None})
            end.serve_forever()
        finally:
            os._exit(0)
    theirs.close()
    end = GraderEnd(ours, budget_end=time.monotonic() + 60, call_timeout=5)
    yield end
    ours.close()
    os.kill(pid, signal.SIGKILL)  # a child still inside a long call
    os.waitpid(pid, 0)


def test_an_update_through_data_that_sets_grad_to_none_comes_back_stepped(worker):
    """Does a correct update via .data and a.grad = None give the grader the stepped a and a.grad None?"""
    x, y = torch.randn(5, 2, dtype=torch.float64), torch.randn(5, dtype=torch.float64)
    a = torch.nn.Parameter(torch.tensor([1.0, -1.0], dtype=torch.float64))
    expected = a.detach().clone()
    reference = torch.nn.Parameter(expected.clone())
    _update_through_data(x, y, reference, 0.1)
    loss, reply = worker.call({"name": "update"}, (x, y, a, 0.1))
    assert torch.equal(a.detach(), reference.detach()) and a.grad is None
    assert isinstance(a, torch.nn.Parameter) and loss.shape == ()
    assert reply["noise"] == ""


def test_each_call_reports_its_warnings_as_noise(worker):
    """Does a warning inside the student's function come back as that call's noise?"""
    value, reply = worker.call({"name": "noisy"}, (torch.ones(2),))
    assert torch.equal(value, torch.full((2,), 2.0)) and "careful" in reply["noise"]


def test_tuples_lists_dicts_and_generators_cross_both_ways(worker):
    """Do a tuple holding a list and a dict come back as such, and a generator's state follow the draw?"""
    t = torch.ones(2)
    value, _ = worker.call({"name": "pair"}, (t,))
    assert type(value) is tuple and type(value[1]) is list and set(value[1][1]) == {"k"}
    g = torch.Generator().manual_seed(3)
    drawn, _ = worker.call({"name": "draw"}, (5,), {"generator": g})
    assert torch.equal(drawn, torch.randperm(5, generator=torch.Generator().manual_seed(3)))
    assert torch.equal(g.get_state(), _after_one_draw(3, 5))


def _after_one_draw(seed, n):
    g = torch.Generator().manual_seed(seed)
    torch.randperm(n, generator=g)
    return g.get_state()


def test_a_callback_works_during_its_check_and_gradients_flow_back(worker):
    """Does a grader function patched in for a check serve the worker, with backward through its result?"""
    calls = []

    def reference_mse(y_hat, y):
        calls.append(1)
        return ((y_hat - y) ** 2).mean()

    worker.start_check("update")
    encoded = worker.encode({"mse": reference_mse}, [])
    worker.request({"op": "patch", "function": "via_callback", "globals": encoded})
    x, y = torch.randn(4, 2, dtype=torch.float64), torch.randn(4, dtype=torch.float64)
    a = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
    worker.call({"name": "via_callback"}, (x, y, a, 0.5))
    worker.revoke(encoded)
    assert worker.end_check() == [] and calls == [1]
    start = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(((x @ start - y) ** 2).mean(), [start])
    assert torch.allclose(a.detach(), -0.5 * grad) and torch.equal(a.grad, torch.zeros(2, dtype=torch.float64))


def test_a_call_has_a_fixed_deadline(worker):
    """Does a call that sleeps past its timeout end at the deadline, whatever else happens?"""
    started = time.monotonic()
    with pytest.raises(PeerTimeout):
        worker.call({"name": "sleep"}, (10,), timeout=0.5)
    assert time.monotonic() - started < 2


# -- the hostile worker: frames written by hand ------------------------------------------------------------


class Hostile:
    """The worker's end of a socket pair, scripted by a test in a thread; `seen` holds what it read."""

    def __init__(self, script):
        self.grader_sock, self.sock = socket.socketpair()
        self.seen = []
        self.thread = threading.Thread(target=self._run, args=(script,), daemon=True)
        self.thread.start()

    def _run(self, script):
        try:
            script(self)
        except (PeerGone, OSError):
            pass

    def read(self):
        message = recv_frame(self.sock, time.monotonic() + 10)
        self.seen.append(message)
        return message

    def send(self, message):
        send_frame(self.sock, message)


def test_a_grade_request_during_a_check_is_refused_and_recorded():
    """While update's check calls update, is the worker's grade request for mse refused and recorded?"""

    def script(w):
        call = w.read()
        w.send({"op": "grade", "function": "mse", "id": 7})
        refused = w.read()
        assert refused["op"] == "raise" and refused["re"] == 7
        w.send({"op": "return", "re": call["id"], "value": 1.5, "effects": [None]})

    hostile = Hostile(script)
    end = GraderEnd(hostile.grader_sock, budget_end=time.monotonic() + 30, call_timeout=5)
    end.grade_cells = {3: "mse"}
    end.current_cell = 3
    end.on_grade = lambda fn: pytest.fail("the grade request was served")
    end.start_check("update")
    value, _ = end.call({"name": "update"}, (torch.ones(1),))
    assert value == 1.5
    hostile.thread.join(5)
    assert hostile.seen[1]["kind"] == "Refused"
    [what] = end.end_check()
    assert "grade request for mse" in what


def test_a_callback_kept_from_an_earlier_check_is_refused():
    """Is a call of a grader function that was live in update's check refused during mse's check?"""
    state = {}

    def script(w):
        call = w.read()
        w.send({"op": "call", "id": 9, "target": {"callback": state["handle"]}, "args": [], "kwargs": {}})
        refused = w.read()
        assert refused["op"] == "raise" and "no longer live" in refused["message"]
        w.send({"op": "return", "re": call["id"], "value": None, "effects": []})

    end = GraderEnd(socket.socketpair()[0], budget_end=time.monotonic() + 30, call_timeout=5)
    hostile = Hostile(script)
    end.sock = hostile.grader_sock
    end.start_check("update")
    encoded = end.encode({"mse": lambda *a: 0.0}, [])
    state["handle"] = encoded["mse"][v.CALLBACK]
    end.revoke(encoded)
    end.end_check()
    end.start_check("mse")
    end.call({"name": "mse"}, ())
    [what] = end.end_check()
    assert "no longer live" in what


def test_out_of_order_cell_starts_are_refused():
    """Is a cell_start for a cell that is not a later one (a forged progress ping) refused and recorded?"""

    def script(w):
        run = w.read()
        w.send({"op": "cell_start", "index": 0, "id": 1})
        assert w.read()["op"] == "return"
        w.send({"op": "cell_start", "index": 5, "id": 2})  # cell 1 is empty: it never starts
        assert w.read()["op"] == "return"
        w.send({"op": "cell_start", "index": 0, "id": 3})  # back to an earlier cell: refused
        assert w.read()["op"] == "raise"
        w.send({"op": "return", "re": run["id"], "value": []})

    hostile = Hostile(script)
    end = GraderEnd(hostile.grader_sock, budget_end=time.monotonic() + 30, call_timeout=5)
    assert end.run_cells([(0, "a"), (1, "b"), (5, "c")], set(), 5, {}) == []
    assert [what for _, what in end.violations] == ["a start of cell 0, which is not a later cell to run"]


def test_a_reply_to_another_request_breaks_the_connection():
    """Is a reply quoting an id that is not the request in progress (a forged answer) a BadFrame?"""

    def script(w):
        call = w.read()
        w.send({"op": "return", "re": call["id"] + 1, "value": 4.0, "effects": []})

    hostile = Hostile(script)
    end = GraderEnd(hostile.grader_sock, budget_end=time.monotonic() + 30, call_timeout=5)
    with pytest.raises(BadFrame, match="not the one in progress"):
        end.call({"name": "mse"}, ())


def test_requests_do_not_extend_a_call_deadline():
    """Does a worker that keeps sending requests (pings) during a call still time out at the call's deadline?"""

    def script(w):
        w.read()
        for i in range(100):
            w.send({"op": "grade", "function": "mse", "id": i})
            w.read()
            time.sleep(0.05)

    hostile = Hostile(script)
    end = GraderEnd(hostile.grader_sock, budget_end=time.monotonic() + 30, call_timeout=5)
    end.start_check("update")
    started = time.monotonic()
    with pytest.raises(PeerTimeout):
        end.call({"name": "update"}, (), timeout=0.5)
    assert time.monotonic() - started < 1.5


def test_the_submission_budget_caps_every_deadline():
    """Does a call with a long timeout still end when the submission's budget runs out?"""

    def script(w):
        w.read()
        time.sleep(5)

    hostile = Hostile(script)
    end = GraderEnd(hostile.grader_sock, budget_end=time.monotonic() + 0.4, call_timeout=100)
    with pytest.raises(PeerTimeout):
        end.call({"name": "update"}, ())
    assert end.budget_spent()


@pytest.mark.parametrize(
    "frame",
    [
        {"op": "return", "value": 1},  # no re
        {"op": "call", "target": {"callback": [1]}, "args": [], "kwargs": {}, "id": 3},  # an id that is a list
        {"op": "grade", "function": ["mse"], "id": 4},
        {"op": "backward", "handle": "x", "id": 5},
        [1, 2, 3],
        "just text",
    ],
)
def test_malformed_messages_become_errors_not_crashes(frame):
    """Does a malformed message or forged id end in BadFrame or a refusal, never another exception?"""

    def script(w):
        w.read()
        w.send(frame)
        reply = w.read()
        w.send({"op": "return", "re": w.seen[0]["id"], "value": None, "effects": []})
        assert reply["op"] == "raise"

    hostile = Hostile(script)
    end = GraderEnd(hostile.grader_sock, budget_end=time.monotonic() + 30, call_timeout=2)
    end.start_check("update")
    try:
        end.call({"name": "update"}, ())
    except (BadFrame, PeerTimeout):
        pass


def test_a_raise_reply_keeps_only_text():
    """Does the worker's exception arrive as a RemoteError with its kind and message as plain text?"""

    def script(w):
        call = w.read()
        w.send({"op": "raise", "re": call["id"], "kind": ["x"] * 3, "message": {"a": 1}})

    hostile = Hostile(script)
    end = GraderEnd(hostile.grader_sock, budget_end=time.monotonic() + 30, call_timeout=2)
    with pytest.raises(RemoteError) as err:
        end.call({"name": "update"}, ())
    assert isinstance(err.value.kind, str) and isinstance(err.value.message, str)


def test_the_callers_global_rng_steers_the_call_and_follows_it_back(worker):
    """Does torch.manual_seed in the grader steer a call that draws from the global RNG, as in one kernel?"""
    torch.manual_seed(4)
    drawn, _ = worker.call({"name": "draw"}, (6,), {"generator": None})
    after_call = torch.randperm(6)
    torch.manual_seed(4)
    assert torch.equal(drawn, torch.randperm(6)) and torch.equal(after_call, torch.randperm(6))


def test_a_generator_that_reports_meta_keeps_cudas_rule_in_the_worker(worker):
    """Does a meta-reporting generator cross as one, and refuse (as CUDA does) to draw a CPU permutation?"""
    from grader.devicesim import CudaLikeRandom, MetaGenerator
    from grader.sealed.remote import SealedSubmission, StudentCodeError

    submission = SealedSubmission(worker, 5, on_lost=lambda reason: None)
    g = MetaGenerator().manual_seed(1)
    with CudaLikeRandom() as rules, pytest.raises((RuntimeError, StudentCodeError), match="'meta' device type"):
        submission.request(lambda: worker.call({"name": "draw"}, (5,), {"generator": g}, device_rules=True))
    assert g.device.type == "meta" and rules.random_ops == []


def test_a_worker_that_stops_reading_cannot_block_the_grader():
    """Does sending a large call to a worker that never reads end at the call's deadline?"""
    hostile = Hostile(lambda w: time.sleep(5))
    end = GraderEnd(hostile.grader_sock, budget_end=time.monotonic() + 30, call_timeout=5)
    started = time.monotonic()
    with pytest.raises(PeerTimeout):
        end.call({"name": "mse"}, (torch.zeros(4 * 2**20),), timeout=0.5)
    assert time.monotonic() - started < 2


def test_a_traced_call_reports_the_threads_it_started(worker):
    """Does a traced call say it started a thread (whose ops the per-thread tracer cannot see)?"""
    # the first traced call in a fresh process imports torch's dispatch machinery: about 1 s alone, and it went
    # past the fixture's 5 s call timeout once on a machine running two gradings beside the tests
    _, quiet = worker.call({"name": "pair"}, (torch.ones(2),), timeout=60, trace=True)
    _, threaded = worker.call({"name": "threaded"}, (torch.ones(2),), trace=True)
    assert quiet["threads"] == 0 and threaded["threads"] == 1


@pytest.mark.parametrize("name", ["huge", "long"])
def test_a_result_over_the_frame_limits_is_refused_in_words_and_the_worker_goes_on(worker, name):
    """Does a function returning more than a frame may carry raise Unsendable here, with the worker still serving?"""
    with pytest.raises(RemoteError) as raised:
        worker.call({"name": name})
    assert raised.value.kind == "Unsendable" and "limit" in raised.value.message
    value, _ = worker.call({"name": "pair"}, [torch.ones(2)])
    assert torch.equal(value[0], torch.ones(2))


def test_a_tensor_passed_again_is_the_same_object_in_the_worker_as_in_a_kernel(worker):
    """Does student code that keeps state per Parameter see the checks' Parameter again on its next call?

    In a kernel the checks pass the same object each call; a worker that made a fresh copy per call would hide
    state kept between calls (momentum per parameter, a call counter) from the checks.
    """
    a, b = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2))
    assert [worker.call({"name": "calls_on"}, [t])[0] for t in (a, a, b, a)] == [1, 2, 1, 3]
    with torch.no_grad():
        a.mul_(5)  # the grader's own change reaches the same copy
    doubled, _ = worker.call({"name": "pair"}, [a])
    assert torch.equal(doubled[0], torch.full((2,), 5.0))
