"""Ask for a grade out of turn with a function name that holds newlines: fake lines in the run's output.

The grader refuses the request and records "a grade request for {function} outside its grade cell" as a
problem; `function` is the student's string (cut to 100 characters, newlines kept), and __main__ prints
problems through inert.plain, which keeps newlines. Outcome at 14b7a1a: the instructor's terminal shows a
line of its own, "honest_a: FORGED the sandbox could not start; honest_a scores 0", that looks like
another student's problem. A problem must print as one line per problem, whatever the student wrote.
"""
TARGET, EXPECT = "mse", {}
from grader.hidden import award

try:
    award("x\nhonest_a: FORGED the sandbox could not start; honest_a scores 0\nzzz")
except Exception:
    pass


def mse(y_hat, y):
    return ((y_hat - y) ** 2).mean()
