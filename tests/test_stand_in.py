"""The minibatch checks' recording `update`, played in the worker where it takes no step (grader/stand_in.py).

A forked child serves a real worker.Notebook (unconfined: the sandbox is tested in tests/test_sandbox.py)
whose namespace holds one catalogue solution; the hidden checks run against it over the protocol, as in
sealed grading, and must judge it exactly as they do in-process, in fewer round trips.
"""

import math
import os
import signal
import time
from pathlib import Path

import pytest
import torch
from processes import forked_notebook

import lesson_ref
from grader import FUNCTIONS
from grader.checks import support
from grader.runner import run_checks
from grader.sealed.grader_end import GraderEnd
from grader.sealed.remote import SealedSubmission
from grader.stand_in import MAX_CALLS, Recorded, placeholder_loss
from grader.submission import Submission

CATALOGUE = Path(__file__).parent / "catalogue" / "minibatch_sgd"


def namespace(solution: str) -> dict:
    """The reference functions, with minibatch_sgd written as in the catalogue file `solution`."""
    scope = {"torch": torch, "nn": torch.nn, "math": math, **{fn: getattr(lesson_ref, fn) for fn in FUNCTIONS}}
    exec(compile((CATALOGUE / f"{solution}.py").read_text(), solution, "exec"), scope)
    return scope


def sealed_checks(solution: str):
    """run_checks("minibatch_sgd") over the protocol to a forked worker. -> (checks, the worker's requests by op)."""
    ours, pid = forked_notebook(namespace(solution))
    asked: dict[str, int] = {}
    end = GraderEnd(ours, budget_end=time.monotonic() + 120, call_timeout=30)
    handle = end.handle
    end.handle = lambda message: asked.update({message["op"]: asked.get(message["op"], 0) + 1}) or handle(message)
    try:
        end.start_check("minibatch_sgd")
        checks = run_checks("minibatch_sgd", SealedSubmission(end, 30, on_lost=lambda reason: None))
        assert end.end_check() == []
        return checks, asked
    finally:
        ours.close()
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


@pytest.mark.parametrize(
    "solution", ["pass_slicing", "fail_no_shuffle", "fail_passes_a_copy_of_a", "fail_drops_last_batch"]
)
def test_played_updates_give_the_verdict_the_checks_give_in_process(solution):
    """Does minibatch_sgd get, with `update` played in the worker, the same outcome per check and case?"""
    sealed, _ = sealed_checks(solution)
    local = run_checks("minibatch_sgd", Submission(namespace(solution)))
    outcome = lambda checks: sorted((r.check, r.case, r.outcome) for r in checks.results)  # noqa: E731
    assert outcome(sealed) == outcome(local) and sealed.score == local.score


def test_played_updates_save_a_round_trip_per_batch(monkeypatch):
    """Does playing the recording update in the worker cut the worker's calls back to the grader by 4x or more?"""
    _, played = sealed_checks("pass_slicing")
    monkeypatch.setattr(support.RecordingUpdate, "replayable", False)  # every update a callback, as before
    _, called_back = sealed_checks("pass_slicing")
    assert called_back["call"] >= 4 * played.get("call", 0) and called_back["call"] > 100


def test_the_stand_in_returns_the_recorders_losses_and_keeps_a_by_reference():
    """Does the worker's stand-in hand back the recorder's placeholder losses, keep `a` itself and copy the batch?"""
    stand_in, a = Recorded(), torch.nn.Parameter(torch.zeros(2))
    x = torch.ones(3, 2)
    losses = [stand_in(x, x[:, 0], a, 0.1).item() for _ in range(3)]
    x.add_(1)  # the batch changes after the call: the record keeps it as it was
    recorder = support.RecordingUpdate(step=False)
    assert losses == [recorder(x, x[:, 0], a, 0.1).item() for _ in range(3)] == [1.5, 2.5, 3.5]
    assert stand_in.calls[0][2] is a and torch.equal(stand_in.calls[0][0], torch.ones(3, 2))
    assert placeholder_loss(1).requires_grad and placeholder_loss(1).dtype == torch.float64


def test_a_runaway_loop_of_updates_stops_at_the_cap():
    """Does a minibatch_sgd that calls update without end stop with an error at MAX_CALLS, not fill memory?"""
    stand_in = Recorded()
    with pytest.raises(RuntimeError, match="more than"):
        for _ in range(MAX_CALLS + 1):
            stand_in(torch.ones(1, 2), torch.ones(1), None, 0.1)
    assert len(stand_in.calls) == MAX_CALLS


def test_a_malformed_record_of_played_calls_fails_the_check_not_the_grader():
    """Is a record from the worker that does not match the played names refused as a bad frame?"""
    from grader.sealed.frames import BadFrame
    from grader.sealed.grader_end import replay_calls

    with pytest.raises(BadFrame):
        replay_calls({"update": lambda *a: None}, {"other": []})
    with pytest.raises(BadFrame):
        replay_calls({"update": lambda *a: None}, {"update": [[1, 2]]})
