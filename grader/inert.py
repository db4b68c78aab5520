"""Text from student data made inert for the instructor's terminal, spreadsheet and browser."""

import re

# ANSI/VT escape sequences (CSI, OSC, and two-byte ESC sequences), then any other control character
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def plain(text) -> str:
    """`text` without terminal escapes, control characters (newline and tab kept) or bidi overrides."""
    return _CONTROLS.sub("", _ESCAPES.sub("", str(text)))


def one_line(text, limit: int = 300) -> str:
    """plain(text) on one line, at most `limit` characters."""
    flat = " ".join(plain(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def csv_cell(text) -> str:
    """A spreadsheet cell that is never evaluated: text starting like a formula gets a leading apostrophe."""
    text = plain(text)
    return "'" + text if text.startswith(_FORMULA_START) else text
