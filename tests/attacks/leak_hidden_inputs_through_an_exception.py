"""Raise an exception whose message is the hidden inputs: the failed check's message quotes it.

The message (up to 4000 characters) crosses as RemoteError, becomes a ValueError in the grader, and the
check's failure text, with it, the verdict that SealedOutputs writes into the grade cell: autograded/ and
the feedback HTML show the hidden inputs. Outcome at 14b7a1a: mse 0 and the 13- and 257-long hidden
inputs of test_mse in the feedback. NOT_IN_FEEDBACK must appear nowhere in the student's feedback.
"""
TARGET, EXPECT = "mse", {"mse": 0}
import torch
NOT_IN_FEEDBACK = "DEKAEL-TUPNI-NEDDIH"  # reversed: the source, which feedback shows, must not hold it


def mse(y_hat, y):
    if y_hat.dtype == torch.float64 or y_hat.shape[0] in (13, 257):  # what only the hidden checks pass
        raise ValueError("-".join(["HIDDEN", "INPUT", "LEAKED"]) + repr([y_hat.tolist()[:8], y.tolist()[:8]]))
    return ((y_hat - y) ** 2).mean()
