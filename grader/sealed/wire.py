"""The grader-worker protocol, by concern (this module only re-exports the framing for older imports).

- frames.py: a frame is a length and one msgpack object, decoded within size, depth and node limits;
- values.py: tensors, generators, tuples and callbacks as tagged plain data, and back;
- peer.py: requests with ids and fixed deadlines, calls and their effects on the arguments;
- grader_end.py: the grader's state machine (the worker answers only the call in progress);
- worker_end.py: the worker's side (each student call quiet, traced where a check asks).
"""

from grader.sealed.frames import BadFrame, PeerGone, PeerTimeout, recv_frame, send_frame  # noqa: F401
