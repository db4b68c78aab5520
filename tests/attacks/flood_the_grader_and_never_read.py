"""Write requests straight to the worker's socket and never read the replies, so the grader's sends fill up.

Each out-of-turn request gets a refusal; once the socket buffers are full, a grader whose send has no
deadline blocks for good on a worker that is itself blocked writing (no CPU used, so no CPU limit ends
it), and neither the cell time limit, the call deadline nor the submission budget applies to a send.
Outcome: at 0794dc6 (send_frame: settimeout(None); sendall) the grading process hung; at 14b7a1a
(send_frame has the request's deadline) the cell times out and is skipped: mse 0, the rest graded, the
batch unharmed. Kept as the regression test of deadlines on sends.
"""
TARGET, EXPECT = "mse", {"mse": 0}
import os
import struct

import msgpack


def _channel():
    for fd in range(3, 256):
        try:
            if os.readlink("/proc/self/fd/%d" % fd).startswith("socket:"):
                return fd
        except OSError:
            pass


_fd = _channel()
_body = msgpack.packb({"op": "bogus", "id": 7})
_frame = struct.pack("!I", len(_body)) + _body
if _fd is not None:
    for _ in range(200_000):
        os.write(_fd, _frame)


def mse(y_hat, y):
    return ((y_hat - y) ** 2).mean()
