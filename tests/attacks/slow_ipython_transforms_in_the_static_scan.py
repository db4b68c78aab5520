"""One cell with 600 `!` lines and 20,000 plain lines: IPython's token transforms re-tokenize it 500 times.

IPython's TransformerManager.transform_cell rewrites one escaped line per pass and re-tokenizes the whole
cell after each (up to its TRANSFORM_LOOP_LIMIT of 500 passes): quadratic in the cell. The worker's run of
the cell is bounded by the budget, but the static scan (scan._python, called by session._grade_into after
the run) does the same in the grading process with no limit. Outcome at 2dbe7da: the submission took
419 s of grading against a 60 s budget (the batch 437 s instead of ~30 s); with 250,000 lines (1.5 MB, well
under intake's 32 MiB) one cell costs ~45 min, past the pool's 30-minute task limit, three times over.
APPENDED_LINES [[line, count], ...] are lines the harness appends to the cell (not valid Python, so not
written here; test_sealed does not append them yet). The submission's grading must stay within its budget.
"""
TARGET, EXPECT = "mse", {}
APPENDED_LINES = [["!ls", 600], ["_x = 1", 20000]]


def mse(y_hat, y):
    return ((y_hat - y) ** 2).mean()
