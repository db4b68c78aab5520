"""Hand in, beside the notebook, data.txt as a symlink to /dev/zero: the grader copies it until the disk is full.

intake.py checks only the notebook. In the main process, SealedAutograde.record runs nbgrader's
Autograde, whose init_assignment copies every other submitted file with shutil.copy: it follows the link
and sendfile()s /dev/zero into autograded/<student>/lesson2_sgd/data.txt without end. Outcome at 14b7a1a:
6.8 GB written in about 20 s (stopped by hand), the batch never finishes, every student after it is never
recorded. The same holds for timestamp.txt (copied first, then read whole into memory by nbgrader's
get_existing_timestamp) and for /dev/urandom or any other endless file. EXTRA_LINKS {name: target} are
symbolic links made beside the notebook (test_sealed makes them): the batch must finish, and
nothing but regular files inside the submission folder may be read or copied.
Now (intake.py checks the whole submission folder): the submission is not read, scores 0 and says why;
nothing is copied.
"""
TARGET, EXPECT, PROBLEM = "mse", {"mse": 0, "update": 0, "minibatch_sgd": 0, "cross_entropy": 0}, "is a symbolic link"
EXTRA_LINKS = {"data.txt": "/dev/zero"}


def mse(y_hat, y):
    return ((y_hat - y) ** 2).mean()
