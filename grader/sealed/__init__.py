"""Sealed grading: student code runs in a sandboxed worker, the hidden checks in the grader process."""
