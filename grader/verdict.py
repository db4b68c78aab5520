"""How a hidden test cell shows a function's verdict (in a kernel and in a sealed worker alike)."""


class HiddenChecksFailed(AssertionError):
    """No points for a function; the message lists which hidden checks failed and why."""


def show_verdict(function: str, points: float, summary: str) -> float:
    """Print why points are missing (stdout), return the points; no points raises HiddenChecksFailed.

    nbgrader reads the cell's value as partial credit, so the score is the cell's value, a float; 0 raises,
    since an error is the one output nbgrader can never read as full marks.
    """
    if points <= 0:
        raise HiddenChecksFailed(f"`{function}` failed hidden checks / 未通过隐藏测试:\n{summary}")
    if summary:
        print(f"`{function}`: {points:g} points; hidden checks that cost points / 扣分的隐藏测试:\n{summary}")
    return float(points)
