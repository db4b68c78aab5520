"""Hand in timestamp.txt as a FIFO: nbgrader's get_existing_timestamp would open it and wait forever.

At 14b7a1a nbgrader's init_assignment first copies the submission's files and shutil.copy refuses a FIFO,
so nbgrader fails for this student (sealed scores kept, marked for manual grading) and nothing hangs; if
the copy is made to skip special files, the open() of timestamp.txt in the main process blocks the whole
batch. EXTRA_FIFOS are named pipes made beside the notebook (test_sealed makes them); the
batch must finish and the other students be recorded.
Now (intake.py checks the whole submission folder): the submission is not read, scores 0 and says why;
nbgrader never opens the FIFO.
"""
TARGET, EXPECT, PROBLEM = "mse", {"mse": 0, "update": 0, "minibatch_sgd": 0, "cross_entropy": 0}, "not a regular file"
EXTRA_FIFOS = ["timestamp.txt"]


def mse(y_hat, y):
    return ((y_hat - y) ** 2).mean()
