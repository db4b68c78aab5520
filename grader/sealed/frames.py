"""Frames between the grader and a worker: a 4-byte length, then one msgpack object, checked against limits.

Decoding never trusts the peer: the length is checked before anything is read; a body long enough to
hold more objects than allowed is walked first with msgpack's own streaming Unpacker (headers and skips
only, nothing built) to bound its node count and nesting depth; then msgpack unpacks it with its length
limits, and the depth of what it built is checked. A shorter body cannot hold too many objects (each takes
at least one byte), so building it is bounded anyway, and msgpack's C unpacker refuses nesting past its own
fixed stack. Only plain data comes out (None, bool, int, float, str, bytes, list, dict): what it means is
values.py's business.
"""

import socket
import struct
import time
from dataclasses import dataclass

import msgpack

LENGTH = struct.Struct("!I")


class PeerGone(ConnectionError):
    """The other side closed the connection, died, or sent something unreadable."""


class PeerTimeout(TimeoutError):
    """The other side did not answer before the deadline."""


class BadFrame(PeerGone):
    """A frame over a limit, not msgpack, or not a message of the protocol: the connection is dropped."""


@dataclass(frozen=True)
class FrameLimits:
    """What one frame may hold. Tensor bytes are checked again against shape x dtype in values.py."""

    max_bytes: int = 64 * 2**20  # the whole frame
    max_depth: int = 32  # nested lists and maps
    max_nodes: int = 200_000  # every object in the frame, containers and scalars
    max_len: int = 100_000  # items of one list or map
    max_str: int = 2**20  # bytes of one string
    max_bin: int = 64 * 2**20  # bytes of one binary (a tensor's data)
    max_tensor_bytes: int = 64 * 2**20  # shape x itemsize of one tensor


DEFAULT_LIMITS = FrameLimits()

# msgpack type bytes of containers (the msgpack spec's "format" table)
_ARRAY = frozenset([*range(0x90, 0xA0), 0xDC, 0xDD])
_MAP = frozenset([*range(0x80, 0x90), 0xDE, 0xDF])


def _reject_ext(code, data):
    raise BadFrame(f"a msgpack extension type ({code}) is not part of the protocol")


def _unpacker_options(limits: FrameLimits) -> dict:
    return {
        "max_str_len": limits.max_str,
        "max_bin_len": limits.max_bin,
        "max_array_len": limits.max_len,
        "max_map_len": limits.max_len,
        "max_ext_len": 0,
    }


def encode_frame(message) -> bytes:
    """The bytes of one frame (length prefix included)."""
    body = msgpack.packb(message, use_bin_type=True)
    return LENGTH.pack(len(body)) + body


def check_shape(body: bytes, limits: FrameLimits = DEFAULT_LIMITS) -> None:
    """Raise BadFrame unless `body` is exactly one msgpack object within the depth and node limits."""
    unpacker = msgpack.Unpacker(max_buffer_size=max(len(body), 1), **_unpacker_options(limits))
    unpacker.feed(body)
    left = [1]  # objects still to read at each open level
    nodes = 0
    try:
        while left:
            if left[-1] == 0:
                left.pop()
                continue
            left[-1] -= 1
            nodes += 1
            if nodes > limits.max_nodes:
                raise BadFrame(f"a frame of more than {limits.max_nodes} objects")
            kind = body[unpacker.tell()]
            if kind in _ARRAY or kind in _MAP:
                count = unpacker.read_array_header() if kind in _ARRAY else 2 * unpacker.read_map_header()
                if count > 2 * limits.max_len:
                    raise BadFrame(f"a list or map of more than {limits.max_len} items")
                left.append(count)
                if len(left) - 1 > limits.max_depth:
                    raise BadFrame(f"a frame nested more than {limits.max_depth} levels deep")
            else:
                unpacker.skip()
    except BadFrame:
        raise
    except IndexError:
        raise BadFrame("a truncated frame") from None
    except Exception as err:  # msgpack's OutOfData, FormatError, BufferFull, ValueError for a limit
        raise BadFrame(f"an unreadable frame ({type(err).__name__}: {err})") from None
    if unpacker.tell() != len(body):
        raise BadFrame("a frame with bytes after its message")


def decode_body(body: bytes, limits: FrameLimits = DEFAULT_LIMITS):
    """The plain data of one frame's body, within every limit of check_shape."""
    if len(body) > limits.max_bytes:
        raise BadFrame(f"a frame of {len(body)} bytes is over the {limits.max_bytes} byte limit")
    walked = len(body) > limits.max_nodes  # room for more objects than allowed: count them before building any
    if walked:
        check_shape(body, limits)
    try:
        message = msgpack.unpackb(
            body, raw=False, strict_map_key=False, use_list=True, ext_hook=_reject_ext, **_unpacker_options(limits)
        )
    except BadFrame:
        raise
    except Exception as err:  # invalid UTF-8, an unhashable map key, a truncated frame, ...
        if not walked:
            check_shape(body, limits)  # the precise reason, where it is one of the shape's limits
        raise BadFrame(f"an unreadable frame ({type(err).__name__}: {err})") from None
    if not walked:
        _check_depth(message, limits.max_depth)
    return message


def _check_depth(message, max_depth: int) -> None:
    """Raise BadFrame if unpacked data nests lists and maps deeper than check_shape allows (the top one is 1).

    Map keys need no look: a list or map cannot be a key (unhashable), so only values and items can nest.
    """
    if type(message) not in (list, dict):
        return
    todo = [(message, 1)]
    while todo:
        container, depth = todo.pop()
        if depth > max_depth:
            raise BadFrame(f"a frame nested more than {max_depth} levels deep")
        for item in container.values() if type(container) is dict else container:
            if type(item) is list or type(item) is dict:
                todo.append((item, depth + 1))


def over_limits(message, limits: FrameLimits = DEFAULT_LIMITS) -> str | None:
    """Why the peer would refuse `message` as a frame (a limit above, or text UTF-8 cannot carry); None if it fits."""
    try:
        decode_body(encode_frame(message)[LENGTH.size :], limits)
    except BadFrame as err:
        return str(err)
    except (ValueError, TypeError, OverflowError) as err:  # a lone surrogate, a value msgpack cannot pack
        return f"a value msgpack cannot carry ({type(err).__name__})"
    return None


def send_frame(sock: socket.socket, message, deadline: float | None = None) -> None:
    """Send one message (plain data only) before `deadline`: a peer that stops reading cannot block us."""
    data = memoryview(encode_frame(message))
    while data:
        timeout = None if deadline is None else deadline - time.monotonic()
        if timeout is not None and timeout <= 0:
            raise PeerTimeout("the other side stopped reading")
        try:
            sock.settimeout(timeout)
            sent = sock.send(data)
        except TimeoutError:
            raise PeerTimeout("the other side stopped reading") from None
        except OSError as err:
            raise PeerGone(str(err)) from None
        data = data[sent:]


def recv_frame(sock: socket.socket, deadline: float | None, limits: FrameLimits = DEFAULT_LIMITS):
    """Read one frame before `deadline` (time.monotonic(); None: wait forever) and decode it."""
    (size,) = LENGTH.unpack(_recv_exact(sock, LENGTH.size, deadline))
    if size > limits.max_bytes:
        raise BadFrame(f"a frame of {size} bytes is over the {limits.max_bytes} byte limit")
    return decode_body(_recv_exact(sock, size, deadline), limits)


def _recv_exact(sock, size, deadline) -> bytes:
    buf = bytearray()
    while len(buf) < size:
        timeout = None if deadline is None else deadline - time.monotonic()
        if timeout is not None and timeout <= 0:
            raise PeerTimeout("no answer before the deadline")
        sock.settimeout(timeout)
        try:
            chunk = sock.recv(min(size - len(buf), 2**20))
        except TimeoutError:
            raise PeerTimeout("no answer before the deadline") from None
        except OSError as err:
            raise PeerGone(str(err)) from None
        if not chunk:
            raise PeerGone("the connection closed")
        buf += chunk
    return bytes(buf)
