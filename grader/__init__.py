"""Grading for the lesson2_sgd assignment: hidden checks, the runner, samples and the CLI."""

from grader.points import POINTS  # the points of each contract function (the grade cells carry the same)

ASSIGNMENT = "lesson2_sgd"
FUNCTIONS = tuple(POINTS)
