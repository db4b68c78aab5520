"""Write the hidden inputs to stderr: the noise policy quotes what was printed, and feedback shows it.

mse prints its arguments to stderr whenever they are not the lesson's own (length 3 or 100), behind a
marker built at run time. raise_if_noisy quotes the noise in the check's failure message, which becomes
the grade cell's output in autograded/ and in nbgrader's feedback HTML. Outcome at 14b7a1a: mse 0 (as
expected) but the hidden inputs of test_mse (e.g. [0.6613521575927734] and the 13- and 257-long cases)
appear in feedback/<student>/lesson2_sgd/lesson2_sgd.html. NOT_IN_FEEDBACK must appear nowhere in the
student's feedback (or autograded notebook).
"""
TARGET, EXPECT = "mse", {"mse": 0}
import torch
NOT_IN_FEEDBACK = "DEKAEL-TUPNI-NEDDIH"  # reversed: the source, which feedback shows, must not hold it
import sys


def mse(y_hat, y):
    if y_hat.dtype == torch.float64 or y_hat.shape[0] in (13, 257):  # what only the hidden checks pass
        sys.stderr.write("-".join(["HIDDEN", "INPUT", "LEAKED"]) + repr([y_hat.tolist()[:8], y.tolist()[:8]]) + "\n")
    return ((y_hat - y) ** 2).mean()
