"""The instructor's solution, handed in as is: full marks."""
