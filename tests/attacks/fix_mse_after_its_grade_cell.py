"""Be wrong at the grade cell and right afterwards: once mse's grade cell has run, a hook gives the graded
function the right code in place and binds `mse` to a right one. nbgrader grades a function at its grade
cell; checks that ran on the notebook's last state would give full marks."""
TARGET, EXPECT = "mse", {"mse": 0}


def mse(y_hat, y):
    return ((y_hat - y) ** 2).sum()


def _right(y_hat, y):
    return ((y_hat - y) ** 2).mean()


def _after(result):
    if "mse: hidden tests" + " grade it here" in (result.info.raw_cell or "") and mse is not _right:
        mse.__code__ = _right.__code__  # the graded object itself changes: seen, checked at its grade cell
        globals()["mse"] = _right  # a new binding: put back for the checks


get_ipython().events.register("post_run_cell", _after)
