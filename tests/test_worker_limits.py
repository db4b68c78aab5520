"""Every limit on what a notebook's cells show says so where it cuts, just over it; just under it, nothing is cut.

The worker's outputs (grader/sealed/worker.py `_Outputs`) and the run message's cell sources
(grader/sealed/grader_end.py `text_pieces`) are sized so that each message stays one protocol frame
(grader/sealed/frames.py); a limit that is hit leaves a note in the cell, in English and Chinese.
The sealed end-to-end side (whole notebooks over and under each limit) is in tests/test_sealed.py.
"""

import json

import pytest

from grader.sealed import worker
from grader.sealed.frames import DEFAULT_LIMITS, over_limits
from grader.sealed.grader_end import text_pieces
from grader.sealed.peer import RemoteError
from grader.sealed.remote import Unreturnable, _as_local

ENVELOPE = worker._json_size([{"text/plain": ""}, {}])  # a display's size without its text


def outputs(left=None):
    return worker._Outputs({}, left or [worker.MAX_NOTEBOOK_OUTPUT, worker.MAX_NOTEBOOK_OUTPUTS])


def notes(out) -> list[str]:
    out.flush()
    return [o["text"] for o in out.items if o["output_type"] == "stream" and "over the grader's limit" in o["text"]]


def display(out, chars: int):
    return out.rich("display_data", {"text/plain": "y" * chars}, None)


def test_printed_text_just_under_the_cell_limit_is_kept_whole_and_just_over_it_says_so():
    """Does a cell that prints 65,536 characters show them all, and one that prints one more say it was cut?"""
    under, over = outputs(), outputs()
    under.stream("stdout", "z" * worker.MAX_CELL_OUTPUT)
    over.stream("stdout", "z" * (worker.MAX_CELL_OUTPUT + 1))
    under.flush(), over.flush()
    assert under.items == [{"output_type": "stream", "name": "stdout", "text": "z" * worker.MAX_CELL_OUTPUT}]
    [text] = [o["text"] for o in over.items]
    assert text.startswith("z" * worker.MAX_CELL_OUTPUT) and f"limit of {worker.MAX_CELL_OUTPUT}" in text
    assert "超出评分程序的限制" in text


def test_a_display_just_under_the_output_limit_is_kept_and_just_over_it_is_replaced_by_a_note():
    """Is a display of exactly 900,000 characters (as JSON) shown, and one of 900,001 replaced by a note?"""
    under, over = outputs(), outputs()
    assert display(under, worker.MAX_ONE_OUTPUT - ENVELOPE) is not None and not notes(under)
    assert display(over, worker.MAX_ONE_OUTPUT - ENVELOPE + 1) is None
    assert [f"limit of {worker.MAX_ONE_OUTPUT} characters per output" in n for n in notes(over)] == [True]


def test_displays_just_under_the_cell_limit_are_kept_and_the_next_character_is_said_to_be_left_out():
    """Does a cell keep displays up to 4 MiB (as JSON) in all, and say so for the display that goes past it?"""
    out = outputs()
    whole, rest = divmod(worker.MAX_CELL_RICH, worker.MAX_ONE_OUTPUT)
    for _ in range(whole):
        display(out, worker.MAX_ONE_OUTPUT - ENVELOPE)
    display(out, rest - ENVELOPE)
    assert len(out.items) == whole + 1 and not notes(out)
    assert display(out, 1) is None  # a display of any size more than the cell may show
    assert [f"limit of {worker.MAX_CELL_RICH} characters of displays per cell" in n for n in notes(out)] == [True]


def test_a_cell_keeps_its_first_1000_outputs_and_says_it_left_out_the_next():
    """Does a cell with 1,000 displays show them all, and one with 1,001 say the last one was left out?"""
    out = outputs()
    for _ in range(worker.MAX_CELL_OUTPUTS):
        display(out, 1)
    assert len(out.items) == worker.MAX_CELL_OUTPUTS and not notes(out)
    display(out, 1)
    display(out, 1)
    assert [f"limit of {worker.MAX_CELL_OUTPUTS} outputs per cell" in n for n in notes(out)] == [True]  # said once


def test_the_notebooks_output_budget_is_shared_by_its_cells_and_says_when_it_runs_out():
    """When earlier cells used up the notebook's outputs to the last character, does the next cell say so?"""
    left = [ENVELOPE + 10, worker.MAX_NOTEBOOK_OUTPUTS]
    first, second = outputs(left), outputs(left)
    assert display(first, 10) is not None and left[0] == 0 and not notes(first)
    second.stream("stdout", "x")
    second.flush()
    assert [f"limit of {worker.MAX_NOTEBOOK_OUTPUT} characters of outputs per notebook" in n for n in notes(second)]


def test_the_notebooks_count_of_outputs_is_shared_by_its_cells_and_says_when_it_runs_out():
    """With 10,000 outputs shown before, does the next output say it was left out, and the one before not?"""
    left = [worker.MAX_NOTEBOOK_OUTPUT, 1]
    first, second = outputs(left), outputs(left)
    assert display(first, 1) is not None and not notes(first)
    assert display(second, 1) is None
    assert [f"limit of {worker.MAX_NOTEBOOK_OUTPUTS} outputs per notebook" in n for n in notes(second)] == [True]


def test_a_long_error_is_cut_saying_so_and_fits_one_protocol_string_even_in_chinese():
    """Is an error's value of 20,001 characters cut with a note, and one in Chinese (6 JSON bytes each) short enough?"""
    out = outputs()
    out.error("ValueError", "e" * worker.MAX_ERROR_TEXT, ["line"])
    out.error("ValueError", "e" * (worker.MAX_ERROR_TEXT + 1), ["line"])
    out.error("ValueError", "错" * worker.MAX_ERROR_TEXT, ["错" * worker.MAX_ERROR_TEXT] * 21)
    just, over, chinese = out.items
    assert just["evalue"] == "e" * worker.MAX_ERROR_TEXT
    assert over["evalue"].startswith("e" * worker.MAX_ERROR_TEXT) and "1 characters cut here" in over["evalue"]
    assert len(json.dumps(chinese)) <= worker.MAX_ONE_OUTPUT < DEFAULT_LIMITS.max_str


def test_an_update_display_that_grows_past_the_limit_is_refused_saying_so():
    """Can update_display swell a small output past the per-output limit? It must keep the old data and say so."""
    out = outputs()
    shown = display(out, 5)
    assert not out.fits({"text/plain": "y" * worker.MAX_ONE_OUTPUT}, {})
    assert shown["data"] == {"text/plain": "yyyyy"} and notes(out)


@pytest.mark.parametrize("chars, char", [(25 * 2**20, "x"), (9 * 2**20, "错"), (5 * 2**20, "😀")])
def test_a_cell_of_any_size_within_the_notebook_limit_crosses_in_one_run_message(chars, char):
    """Does a 25 MiB cell (or 9 Mi Chinese characters, 5 Mi emoji) reach the worker whole, in one frame?"""
    source = f'big = "{char * chars}"'
    pieces = text_pieces(source)
    assert "".join(pieces) == source
    assert max(len(p.encode()) for p in pieces) <= DEFAULT_LIMITS.max_str
    assert over_limits({"op": "run", "cells": [[0, pieces]], "skip": [], "grade_cells": []}) is None


def test_a_lone_surrogate_in_a_cell_is_replaced_rather_than_breaking_the_run_message():
    """Does a cell holding a lone surrogate (valid notebook JSON, not UTF-8) become runnable text?"""
    [piece] = text_pieces('x = "\ud800"')
    assert piece == 'x = "\ufffd"' and over_limits({"cells": [[0, [piece]]]}) is None


@pytest.mark.parametrize(
    "value, says",
    [
        (["1" * (DEFAULT_LIMITS.max_str + 1)], "max_str_len"),
        (list(range(DEFAULT_LIMITS.max_len + 1)), "max_array_len"),
        ("a\ud800", "msgpack cannot carry"),
    ],
)
def test_a_reply_over_the_frame_limits_is_named_before_it_is_sent(value, says):
    """Does the sender see a reply the other side would drop (too long a string or list, unencodable text)?"""
    assert says in over_limits({"op": "return", "value": value})


def test_a_value_that_cannot_cross_is_reported_in_fixed_words_not_the_workers():
    """Is the worker's 'Unsendable' answer shown as the grader's own message, never the text it came with?"""
    local = _as_local(RemoteError("Unsendable", "the hidden input was 1.2345"))
    assert isinstance(local, Unreturnable) and "1.2345" not in str(local)
    assert "64 MiB" in str(local) and "无法传给评分程序" in str(local)
