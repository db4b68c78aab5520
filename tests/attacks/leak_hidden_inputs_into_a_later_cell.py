"""Keep the hidden inputs mse is called with and print them in the next ordinary cell.

A post_run_cell hook prints the kept inputs after the first cell that is not a grade cell (the cell
after test_mse), whose outputs sealed grading keeps for autograded/ and the feedback. Outcome at 14b7a1a:
mse 4/4 (manual grading only because `get_ipython` is on the scan's list; a thread printing later does
the same without it) and every hidden input of test_mse in the feedback HTML. NOT_IN_FEEDBACK must appear
nowhere in the student's feedback.
"""
TARGET, EXPECT = "mse", {}
import torch
NOT_IN_FEEDBACK = "DEKAEL-TUPNI-NEDDIH"  # reversed: the source, which feedback shows, must not hold it
_seen = []


def _show(result):
    if _seen and "award(" not in (result.info.raw_cell or ""):
        print("-".join(["HIDDEN", "INPUT", "LEAKED"]), _seen[:20])
        _seen.clear()


get_ipython().events.register("post_run_cell", _show)


def mse(y_hat, y):
    if y_hat.dtype == torch.float64 or y_hat.shape[0] in (13, 257):  # what only the hidden checks pass
        _seen.append([y_hat.tolist()[:8], y.tolist()[:8]])
    return ((y_hat - y) ** 2).mean()
