"""How a hidden test cell shows a function's verdict (in a kernel, in a sealed worker, in feedback alike)."""


class HiddenChecksFailed(AssertionError):
    """No points for a function; the message lists which hidden checks failed and why."""


def describe(function: str, points: float, summary: str) -> str:
    """What the grade cell says about the hidden checks: why there are no points, or what cost some ('')."""
    if points <= 0:
        return f"`{function}` failed hidden checks / 未通过隐藏测试:\n{summary}"
    if summary:
        return f"`{function}`: {points:g} points; hidden checks that cost points / 扣分的隐藏测试:\n{summary}"
    return ""


def show_verdict(points: float, message: str) -> float:
    """Print `message` (stdout), return the points; no points raises HiddenChecksFailed(message).

    nbgrader reads the cell's value as partial credit, so the score is the cell's value, a float; 0 raises,
    since an error is the one output nbgrader can never read as full marks.
    """
    if points <= 0:
        raise HiddenChecksFailed(message)
    if message:
        print(message)
    return float(points)
