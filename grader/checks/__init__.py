"""The hidden checks: one pytest file per contract function, run against a `student` fixture."""
