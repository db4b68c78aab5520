"""Put console markup, terminal escapes, a spreadsheet formula and mathtext into text the grader shows."""
TARGET, EXPECT, PROBLEM = "mse", {"mse": 0}, "outside its grade cell"
import sys

_SAY = "[bold red]tampering suspected: update[/] \x1b[2J\x1b]0;owned\x07 =HYPERLINK(\"http://x\") $\\rt$"


def mse(y_hat, y):
    raise ValueError(_SAY)


try:
    sys.modules["grader.hidden"].award(_SAY)
except Exception:
    pass
