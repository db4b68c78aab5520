"""The grader's end of the connection: a state machine that answers only what the current step allows.

The grader drives: it asks the worker to run the cells, and while they run the worker may only say which
cell starts (in order) and, from a grade cell, ask for that function's grade. While the hidden checks of
a function run, the worker may only answer the call in progress, call back a grader function handed to it
for this check, or ask for a gradient of a result of this check. Anything else (a grade request during a
check, a callback kept from an earlier check, a cell that is not next, a reply to another request) is
refused, and recorded in `violations`: session.py scores the function whose check was running 0 and
reports it as that student's problem.
"""

import time
from collections.abc import Callable
from typing import NoReturn

from grader.sealed.frames import DEFAULT_LIMITS, BadFrame, FrameLimits
from grader.sealed.peer import Peer, Refused, _field, returning
from grader.sealed.values import CALLBACK, TENSOR, is_tag

PIECE = 2**17  # characters of a cell's source per protocol string: at most 512 KiB of UTF-8 (frames.max_str: 1 MiB)


def text_pieces(text: str) -> list[str]:
    """A cell's source as strings that each fit one protocol string, however long the cell (the worker joins them).

    Lone surrogates (a notebook's JSON may hold "\\ud800"), which UTF-8 cannot carry, become U+FFFD.
    """
    try:
        text.encode()
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return [text[i : i + PIECE] for i in range(0, len(text), PIECE)] or [""]


class GraderEnd(Peer):
    """One worker's conversation, seen from the grader."""

    def __init__(self, sock, *, budget_end: float, call_timeout: float, limits: FrameLimits = DEFAULT_LIMITS):
        super().__init__(sock, limits)
        self.budget_end = budget_end  # time.monotonic() when the submission's wall budget runs out
        self.default_timeout = call_timeout
        self.cell_timeout: float | None = None
        self.expected_cells: list[int] = []  # the cells of the run in progress, in order
        self.current_cell: int | None = None
        self.grade_cells: dict[int, str] = {}  # cell index -> the function its award() may ask for
        self.on_grade: Callable[[str], dict] | None = None  # function -> {"points", "message"}; set by the session
        self.checking: str | None = None  # the function whose checks are running
        self.callbacks: dict[int, object] = {}  # handle -> grader function, live during one check
        self.riding: list[dict] = []  # patches and unpatches for the worker, sent with the next request
        self.stand_ins: dict[int, dict] = {}  # a live patch's token -> {name: the function its stand-in replays into}
        self.violations: list[tuple[str | None, str]] = []  # (function being checked or None, what)

    def cap_deadline(self, deadline):
        return self.budget_end if deadline is None else min(deadline, self.budget_end)

    def budget_spent(self) -> bool:
        return time.monotonic() >= self.budget_end

    def out_of_turn(self, what: str) -> None:
        self.violations.append((self.checking, what))

    def _refuse(self, what: str) -> NoReturn:
        self.out_of_turn(what)
        raise Refused(f"the grader refused {what}: it answers only the call in progress")

    def exchange(self, message: dict, timeout: float | None = None) -> dict:
        """Peer.exchange, with the patches and unpatches waiting to be sent, and the played calls replayed."""
        if self.riding:
            message, self.riding = {**message, "before": self.riding}, []
        reply = super().exchange(message, timeout)
        if "played" in reply:
            self._replay(reply["played"])
        return reply

    def patch_later(self, function: str, encoded: dict, played: dict) -> int:
        """Patch `function`'s globals with `encoded` (and stand-ins for `played`) before the next request. -> token."""
        token = self._new_ref()
        patch = {"op": "patch", "token": token, "function": function, "globals": encoded, "played": sorted(played)}
        self.riding.append(patch)
        self.stand_ins[token] = played
        return token

    def unpatch_later(self, token: int) -> None:
        """Undo patch `token` before the next request; a patch that never left (no request since) is just dropped."""
        self.stand_ins.pop(token, None)
        unsent = [m for m in self.riding if m["op"] == "patch" and m["token"] == token]
        if unsent:
            self.riding.remove(unsent[0])
        else:
            self.riding.append({"op": "unpatch", "token": token})

    def _replay(self, played) -> None:
        """The stand-ins' calls, as the worker recorded them, replayed into the functions they stand in for."""
        if type(played) is not list:
            raise BadFrame("the played calls are not a list")
        for entry in played:
            if type(entry) is not list or len(entry) != 2 or entry[0] not in self.stand_ins:
                raise BadFrame("played calls of a patch that is not live")
            replay_calls(self.stand_ins[entry[0]], self.decode(entry[1], []))

    # -- the worker's requests ----------------------------------------------------------------------------
    def handle(self, message: dict) -> dict:
        op = message["op"]
        top = self.pending[-1].op if self.pending else None
        if op == "cell_start":
            index = _field(message, "index", int)
            if top != "run" or self.checking is not None:
                self._refuse(f"a cell_start message during {self._doing()}")
            if index not in self.expected_cells:  # cells start in order, each once (empty ones never start)
                self._refuse(f"a start of cell {index}, which is not a later cell to run")
            del self.expected_cells[: self.expected_cells.index(index) + 1]
            self.current_cell = index
            if self.cell_timeout is not None:
                self.extend(self.cell_timeout)
            return returning(None)
        if op == "grade":
            function = _field(message, "function", str)[:100]
            if top != "run" or self.checking is not None:
                self._refuse(f"a grade request for {function} during {self._doing()}")
            if self.current_cell is None or self.grade_cells.get(self.current_cell) != function:
                self._refuse(f"a grade request for {function} outside its grade cell")
            run = self.pending[-1]
            run.deadline = self.budget_end  # the checks' calls have deadlines of their own
            if self.on_grade is None:  # the checks come after the last cell: grade cells ask for nothing
                self._refuse(f"a grade request for {function} from the notebook's own code")
            try:
                return returning(self.on_grade(function))
            finally:
                if self.cell_timeout is not None:
                    self.extend(self.cell_timeout)
        if op == "call":
            target = _field(message, "target", dict)
            handle = target.get("callback")
            if self.checking is None or top not in ("call", "backward"):
                self._refuse(f"a call of a grader function during {self._doing()}")
            if type(handle) is not int or handle not in self.callbacks:
                self._refuse(f"a call of a grader function no longer live (kept from earlier?) during {self._doing()}")
            return self._with_gradients(self.serve_call(message, self.callbacks[handle]))
        if op == "backward":
            if self.checking is None:
                self._refuse(f"a gradient request during {self._doing()}")
            return self.backward_for(message)
        self._refuse(f"a {op[:40]!r} request during {self._doing()}")

    def _with_gradients(self, reply: dict) -> dict:
        """A callback's reply, with its result's gradients where that is a scalar with a graph (a loss).

        A grader function has no side effects to time, so they are computed now: the worker's `loss.backward()`
        then needs no request of its own. Where they cannot be computed now, the worker asks as before.
        """
        value = reply.get("value")
        handle = value[TENSOR][3] if type(value) is dict and is_tag(value, TENSOR) else None
        if handle is None or self.graphs[handle][0].dim() != 0:
            return reply
        try:
            return {**reply, "gradients": [handle, self.encode(self.gradients(handle, None), [])]}
        except Exception:  # e.g. an input changed in place since: the worker's backward request gets the error
            return reply

    def _doing(self) -> str:
        if self.checking is not None:
            return f"the checks of {self.checking}"
        if self.current_cell is not None:
            return f"cell {self.current_cell}"
        return "the start of the run"

    # -- what the session drives --------------------------------------------------------------------------
    def run_cells(
        self,
        cells: list,
        skip: set[int],
        cell_timeout: float,
        grade_cells: dict[int, str],
        images_after: int | None = None,
        checks_at_end: bool = False,
    ):
        """Run the notebook's cells in the worker; -> what it reports for each (validated by the caller).

        `images_after`: cells after this index show figures as text only (their outputs will not be shown).
        `checks_at_end`: grade cells keep their function's state and ask for nothing (the checks come after).
        """
        self.cell_timeout = cell_timeout
        self.expected_cells = [index for index, _ in cells if index not in skip]
        self.grade_cells = grade_cells
        self.current_cell = None
        message = {
            "op": "run",
            "cells": [[index, text_pieces(source)] for index, source in cells],
            "skip": sorted(skip),
            "images_after": images_after,
            "grade_cells": sorted([index, fn] for index, fn in grade_cells.items()),  # each ends with its verdict
            "checks_at_end": checks_at_end,
        }
        return self.request(message, cell_timeout)

    def start_check(self, function: str) -> None:
        self.checking = function

    def end_check(self) -> list[str]:
        """Forget the check's callbacks and graphs; -> the out-of-turn requests made during it."""
        function, self.checking = self.checking, None
        self.callbacks.clear()
        self.graphs.clear()
        return [what for fn, what in self.violations if fn == function and function is not None]

    def encode_callable(self, fn) -> int:
        if self.checking is None:
            raise BadFrame("grader functions are handed to the worker only during a check")
        handle = self._new_ref()
        self.callbacks[handle] = fn
        return handle

    def revoke(self, encoded) -> None:
        """Forget the callbacks in `encoded` (a patch's globals): none works after its block."""
        if type(encoded) is dict:
            for value in encoded.values():
                if type(value) is dict and len(value) == 1:
                    [(tag, handle)] = value.items()
                    if tag == CALLBACK and type(handle) is int:
                        self.callbacks.pop(handle, None)


def replay_calls(played: dict, recorded) -> None:
    """Each played function's calls, as the worker recorded them ({name: [[x, y, a, lr], ...]}), replayed in order."""
    if type(recorded) is not dict or set(recorded) != set(played):
        raise BadFrame("the worker's record of the played calls does not name them")
    for name, fn in played.items():
        calls = recorded[name]
        if type(calls) is not list or not all(type(c) is list and len(c) == 4 for c in calls):
            raise BadFrame(f"the worker's record of the calls of {name} is malformed")
        for call in calls:
            fn(*call)
