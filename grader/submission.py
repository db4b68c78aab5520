"""A student's contract functions, looked up in the namespace that defines them."""

from contextlib import contextmanager

from grader import FUNCTIONS


class MissingFunction(AssertionError):
    """The submission does not define a contract function."""


class Submission:
    """The contract functions as one namespace holds them (a notebook's globals, a module's dict)."""

    def __init__(self, namespace: dict):
        self._namespace = namespace

    @classmethod
    def from_module(cls, module) -> "Submission":
        """The functions of an imported module (e.g. lesson_ref)."""
        return cls(vars(module))

    def __getattr__(self, name):
        if name not in FUNCTIONS:
            raise AttributeError(name)
        fn = self._namespace.get(name)
        if not callable(fn):
            raise MissingFunction(
                f"`{name}` is not defined: run the cell that defines it before this test.\n"
                f"`{name}` 未定义:请先运行定义它的单元格。"
            )
        return fn

    @contextmanager
    def patched(self, function: str, **replacements):
        """Within the block, names looked up as globals by `function` resolve to `replacements`."""
        fn = getattr(self, function)
        scope = getattr(fn, "__globals__", None)
        if scope is None:
            raise MissingFunction(f"`{function}` must be a plain `def` function.")
        missing = object()
        saved = {name: scope.get(name, missing) for name in replacements}
        scope.update(replacements)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is missing:
                    scope.pop(name, None)
                else:
                    scope[name] = value
