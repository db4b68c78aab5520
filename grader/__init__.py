"""Grading for the lesson2_sgd assignment: hidden checks, the runner, samples and the CLI."""

ASSIGNMENT = "lesson2_sgd"

# The student contract's functions and their points (the notebook's grade cells carry the same).
POINTS = {"mse": 2, "update": 3, "minibatch_sgd": 3, "cross_entropy": 2}
FUNCTIONS = tuple(POINTS)
