"""What a graded function's checks depend on, kept at its grade cell, so they can run after the last cell.

The worker runs a notebook once; the hidden checks run when every cell has run (grader/sealed/session.py),
so nothing a function keeps from a hidden input can reach a cell's output. nbgrader checks a function at
its grade cell, so the checks must see it as it stood there: `GradeCellState.take` keeps, at the grade
cell, the objects that the function's names were bound to (the function, the helpers it calls, the globals
they read, through closures and defaults), the random generators' states and torch's global settings.
`restored()` puts them back for the checks. What may have changed in place since (a tensor, a list of
numbers) is compared first; what can be neither put back nor compared makes the state `stale`, and that
function is checked in a run of its own at its grade cell instead.

Runs in the sandboxed worker: it holds the student's objects, never a hidden input.
"""

import builtins
import contextlib
import functools
import random
import sys
import types

import torch

MISSING = object()
SCALARS = (type(None), bool, int, float, complex, str, bytes, range, type(Ellipsis), type(NotImplemented))
LIBRARY_VALUES = (torch.dtype, torch.device, torch.layout, torch.memory_format, torch.finfo, torch.iinfo)
# builtins through which a function finds its globals by name at run time, past what its code names
DYNAMIC_LOOKUPS = frozenset({"globals", "vars", "locals", "eval", "exec", "get_ipython", "__import__"})
MAX_OBJECTS = 10_000  # objects followed from one function; past it, the state is stale
MAX_ITEMS = 1_000  # items of a list, dict or set compared by value


class _Stale(Exception):
    """The state cannot be kept: the reason, in words."""


class GradeCellState:
    """One graded function's world at its grade cell: bindings to put back, objects to compare, RNG states."""

    def __init__(self):
        self.bindings: dict[tuple[int, str], tuple[dict, str, object]] = {}  # (scope, name) -> its value then
        self.compared: list[tuple[object, object]] = []  # (object, what it was) for objects that change in place
        self.generators: list[tuple[torch.Generator, torch.Tensor]] = []
        self.settings = _settings()
        self.stale: str | None = None  # why the checks cannot run on this state after the last cell
        self._seen: dict[int, object] = {}

    @classmethod
    def take(cls, namespace: dict, function: str) -> "GradeCellState":
        state = cls()
        try:
            state._bind(namespace, function)
        except _Stale as why:
            state.stale = str(why)
        except Exception as err:  # a student's object that cannot be looked at: check it at its grade cell
            state.stale = f"{type(err).__name__} while reading the state"
        state._seen = {}
        return state

    def changed(self) -> str | None:
        """Why the state can no longer be put back (stale, or an object changed in place since), or None."""
        if self.stale:
            return self.stale
        try:
            for value, then in self.compared:
                if not _same(_fingerprint(value), then):
                    return f"a {type(value).__name__} that the function reads changed after its grade cell"
        except Exception as err:
            return f"{type(err).__name__} while comparing the state"
        return None

    @contextlib.contextmanager
    def restored(self):
        """Within the block, the names are bound and the generators and settings are as at the grade cell."""
        now = [(scope, name, scope.get(name, MISSING)) for scope, name, _ in self.bindings.values()]
        settings_now = _settings()
        generators_now = [(g, g.get_state()) for g, _ in self.generators]
        try:
            _rebind(self.bindings.values())
            for generator, state in self.generators:
                generator.set_state(state)
            _apply(self.settings)
            yield
        finally:
            _rebind(now)
            for generator, state in generators_now:
                with contextlib.suppress(Exception):  # a student's generator class: the rest is put back still
                    generator.set_state(state)
            _apply(settings_now)

    # -- following the function's names ---------------------------------------------------------------------
    def _bind(self, scope: dict, name: str) -> None:
        key = (id(scope), name)
        if key in self.bindings:
            return
        value = scope.get(name, MISSING)
        self.bindings[key] = (scope, name, value)
        if value is not MISSING:
            self._follow(value)

    def _follow(self, value) -> None:
        if id(value) in self._seen:
            return
        self._seen[id(value)] = value  # kept alive while following, so ids are not reused
        if len(self._seen) > MAX_OBJECTS:
            raise _Stale(f"the function reaches more than {MAX_OBJECTS} objects")
        kind = type(value)
        if kind in SCALARS or kind in LIBRARY_VALUES or issubclass(kind, types.ModuleType):
            return
        if kind in (types.BuiltinFunctionType, types.BuiltinMethodType, types.WrapperDescriptorType):
            return
        if kind in (tuple, frozenset):
            if len(value) > MAX_ITEMS:
                raise _Stale(f"a {kind.__name__} of more than {MAX_ITEMS} items")
            for item in value:
                self._follow(item)
            return
        if kind is types.FunctionType:
            self._follow_function(value)
            return
        if kind is types.MethodType:
            self._follow(value.__self__)
            self._follow(value.__func__)
            return
        if kind is functools.partial:
            for part in (value.func, value.args, tuple(value.keywords.values())):
                self._follow(part)
            return
        if issubclass(kind, type):
            if value.__module__ == "__main__":
                raise _Stale(f"the function uses the notebook's class {value.__name__}")
            return  # a library's class: its binding is put back, its insides are the library's
        if issubclass(kind, torch.Generator):
            self.generators.append((value, value.get_state()))
            return
        if issubclass(kind, torch.Tensor) or kind in (list, dict, set, bytearray):
            self.compared.append((value, _fingerprint(value)))
            return
        raise _Stale(f"the function reads a {kind.__name__}, which cannot be compared after its grade cell")

    def _follow_function(self, fn: types.FunctionType) -> None:
        if fn.__module__ != "__main__":
            return  # a library's function: its binding is put back, its insides are the library's
        self.compared.append((fn, _fingerprint(fn)))
        for part in (fn.__defaults__ or (), tuple((fn.__kwdefaults__ or {}).values())):
            self._follow(part)
        for cell in fn.__closure__ or ():
            with contextlib.suppress(ValueError):  # an empty cell
                self._follow(cell.cell_contents)
        names = _names(fn.__code__)
        dynamic = names & DYNAMIC_LOOKUPS
        if dynamic:
            raise _Stale(f"{fn.__name__} finds names at run time ({sorted(dynamic)[0]})")
        scope = fn.__globals__
        own_builtins = scope.get("__builtins__", builtins)
        own_builtins = own_builtins.__dict__ if isinstance(own_builtins, types.ModuleType) else own_builtins
        for name in sorted(names):  # unbound ones too: a global bound later must not be seen, nor shadow a builtin
            self._bind(scope, name)
            if name not in scope and isinstance(own_builtins, dict) and name in own_builtins:
                self._bind(own_builtins, name)


def _names(code: types.CodeType) -> set[str]:
    """The global and attribute names a code object and the code nested in it use (a superset of its globals)."""
    names = set(code.co_names)
    for const in code.co_consts:
        if type(const) is types.CodeType:
            names |= _names(const)
    return names


def _fingerprint(value):
    """What may change in place: a tensor's version and storage, a function's code and cells, a container's items."""
    kind = type(value)
    if kind is types.FunctionType:
        cells = tuple(_cell_value(c) for c in value.__closure__ or ())
        return ("function", value.__code__, value.__defaults__, value.__kwdefaults__, cells)
    if issubclass(kind, torch.Tensor):
        grad = value.grad
        grad_print = None if grad is None else (id(grad), grad._version)
        return ("tensor", value._version, value.data_ptr(), tuple(value.shape), value.dtype, value.device,
                value.requires_grad, grad_print)  # fmt: skip
    if kind in (list, dict, set, bytearray):
        items = list(value.items()) if kind is dict else sorted(value, key=repr) if kind is set else list(value)
        if len(items) > MAX_ITEMS:
            raise _Stale(f"a {kind.__name__} of more than {MAX_ITEMS} items")
        flat = [part for item in items for part in (item if kind is dict else (item,))]
        if not all(type(part) in SCALARS for part in flat):
            raise _Stale(f"a {kind.__name__} holding more than numbers and strings")
        return (kind.__name__, [(type(part).__name__, repr(part)) for part in flat])
    raise _Stale(f"a {kind.__name__}")


def _cell_value(cell):
    try:
        return cell.cell_contents
    except ValueError:
        return MISSING


BY_VALUE = (*SCALARS, list, torch.dtype, torch.device)  # compared with ==; anything else by identity


def _same(a, b) -> bool:
    """Fingerprints alike: tuples item by item, numbers, strings and item lists by value, other objects by identity."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if type(a) is tuple:
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) in BY_VALUE and a == b


def _rebind(bindings) -> None:
    for scope, name, value in bindings:
        if value is MISSING:
            scope.pop(name, None)
        else:
            scope[name] = value


def _settings() -> dict:
    """torch's process-wide settings that change what a function computes, and the global random states."""
    settings = {
        "default_dtype": torch.get_default_dtype(),
        "grad": torch.is_grad_enabled(),
        "anomaly": torch.is_anomaly_enabled(),
        "deterministic": (
            torch.are_deterministic_algorithms_enabled(),
            torch.is_deterministic_algorithms_warn_only_enabled(),
        ),
        "default_device": torch.get_default_device(),
        "torch_rng": torch.get_rng_state(),
        "random": random.getstate(),
    }
    if torch.cuda.is_initialized():
        settings["cuda_rng"] = torch.cuda.get_rng_state_all()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        with contextlib.suppress(Exception):
            settings["numpy_rng"] = numpy.random.get_state()
    return settings


def _apply(settings: dict) -> None:
    if torch.get_default_dtype() != settings["default_dtype"]:
        torch.set_default_dtype(settings["default_dtype"])
    torch.set_grad_enabled(settings["grad"])
    torch.set_anomaly_enabled(settings["anomaly"])
    mode, warn_only = settings["deterministic"]
    if (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled()) != (
        mode,
        warn_only,
    ):
        torch.use_deterministic_algorithms(mode, warn_only=warn_only)
    if torch.get_default_device() != settings["default_device"]:
        torch.set_default_device(settings["default_device"])
    torch.set_rng_state(settings["torch_rng"])
    random.setstate(settings["random"])
    if "cuda_rng" in settings:
        torch.cuda.set_rng_state_all(settings["cuda_rng"])
    if "numpy_rng" in settings and "numpy" in sys.modules:
        with contextlib.suppress(Exception):
            sys.modules["numpy"].random.set_state(settings["numpy_rng"])
