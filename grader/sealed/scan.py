"""A static look at the student's cells: what could hide a forbidden call or blind the checks' observers.

What the checks observe at run time lives partly in the student's process (the op tracer of
cross_entropy), so code there can switch it off. This scan reads the submitted source (never runs it) for
names honest solutions do not use: frame and garbage-collector tricks, ctypes, the dispatcher's internals
(`torch.utils._python_dispatch`, `_disable_current_modes`, `torch._C`, dispatch modes), profilers and
tracers, IPython's input machinery, and, inside any function, the forbidden built-ins of cross_entropy by
any spelling visible in the source (attributes, imports and their aliases, strings handed to getattr or an
import). `judge` combines it with the run-time verdict: a function whose code is suspicious goes to manual
grading with the reason; a forbidden built-in next to machinery that blinds the tracer scores 0.
"""

import ast
from dataclasses import dataclass, field

from grader import FUNCTIONS

GUARDED = "cross_entropy"  # the function whose checks forbid built-ins
FORBIDDEN_CHECK = "cross_entropy_is_written_from_tensor_operations"
# forbidden built-ins, compared with underscores removed and lower-cased
FORBIDDEN_OPS = ("crossentropy", "logsoftmax", "nllloss")
# names that switch off or get around what the checks observe (dispatch modes, tracers, frames, memory)
BLINDING = {
    "_python_dispatch",
    "_disable_current_modes",
    "_pop_torch_dispatch_mode",
    "_push_on_torch_dispatch_stack",
    "_get_current_dispatch_mode_stack",
    "_pop_mode",
    "_pop_mode_temporarily",
    "_len_torch_dispatch_stack",
    "_DisableTorchDispatch",
    "DisableTorchFunction",
    "DisableTorchFunctionSubclass",
    "_DisableFuncTorch",
    "_ExcludeDispatchKeyGuard",
    "_dispatch_tls_set_dispatch_key_excluded",
    "_AutoDispatchBelowAutograd",
    "_C",
    "TorchDispatchMode",
    "TorchFunctionMode",
    "__torch_dispatch__",
    "__torch_function__",
    "setprofile",
    "settrace",
    "_getframe",
    "f_globals",
    "f_locals",
    "f_back",
    "f_builtins",
    "tb_frame",
    "gi_frame",
    "get_referrers",
    "get_objects",
}
SUSPICIOUS = {
    "__dict__",  # sys.__dict__["modules"], F.__dict__[...]: attribute lookups the scan cannot follow
    "__getattribute__",
    "__globals__",
    "__code__",
    "__closure__",
    "__subclasses__",
    "__builtins__",
    "__import__",
    "displayhook",
    "excepthook",
    "input_transformers_cleanup",
    "input_transformers_post",
    "ast_transformers",
    "get_ipython",
    "_ih",
    "_oh",
    "In",
    "Out",
    "modules",  # sys.modules
    "fstat",
    "dup",
    "dup2",
    "fdopen",
    "kill",
    "killpg",
    "library",  # torch.library
    "ops",  # torch.ops: aten ops by name
    "overrides",
}
# words that are suspicious only as an attribute or an import (torch.ops, sys.modules, os.kill, from torch
# import library); as a plain variable of the student's (`ops = []`, `modules = ...`) they are ordinary names
ATTRIBUTE_ONLY = {"modules", "fstat", "dup", "dup2", "fdopen", "kill", "killpg", "library", "ops", "overrides"}
MODULES = {
    "ctypes",
    "gc",
    "inspect",
    "importlib",
    "builtins",
    "socket",
    "fcntl",
    "mmap",
    "signal",
    "multiprocessing",
    "subprocess",
    "marshal",
    "pickle",  # pickle.loads(b"ctorch.nn.functional\ncross_entropy\n.") names anything in bytes
    "copyreg",
    "_thread",
    "pty",
    "grader",
    "lesson_ref",
    "threading",
    "concurrent",
}
# grader: the worker's own machinery (tracer, replies); threads: dispatch modes (the op tracer) are per thread
BLINDING_MODULES = {"ctypes", "gc", "grader", "threading", "_thread", "concurrent", "multiprocessing"}
DYNAMIC = {"exec", "eval", "compile", "globals", "vars", "setattr", "delattr"}
NAME_TAKERS = {"getattr", "import_module", "__import__", "__getattribute__", "attrgetter", "methodcaller", "get"}


@dataclass
class Finding:
    what: str  # e.g. "torch.utils._python_dispatch._disable_current_modes"
    cell: int
    line: int
    kind: str  # "blinding", "suspicious" or "forbidden"

    def __str__(self):
        return f"{self.what} (cell {self.cell}, line {self.line})"


@dataclass
class Findings:
    """What the scan found, per contract function (attributed to the code that can run inside it)."""

    by_function: dict[str, list[Finding]] = field(default_factory=lambda: {fn: [] for fn in FUNCTIONS})
    unreadable: list[int] = field(default_factory=list)  # cells that are not Python even after IPython's syntax

    def of(self, function: str, kind: str) -> list[Finding]:
        return [f for f in self.by_function.get(function, []) if f.kind == kind]


def _python(source: str) -> str:
    """IPython's syntax (%magics, !shell, ?help) turned into Python, as a kernel does before running."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:
        return source


def _dotted(node) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _folded(node) -> str | None:
    """The string a constant expression spells ("cross" + "_entropy"), if it is one."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _folded(node.left), _folded(node.right)
        return None if left is None or right is None else left + right
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.slice, ast.Slice)
        and node.slice.lower is None
        and node.slice.upper is None
        and isinstance(node.slice.step, ast.UnaryOp)
        and isinstance(node.slice.step.op, ast.USub)
        and isinstance(node.slice.step.operand, ast.Constant)
        and node.slice.step.operand.value == 1
    ):  # "eludom"[::-1]
        inner = _folded(node.value)
        return None if inner is None else inner[::-1]
    if isinstance(node, ast.JoinedStr):
        parts = [_folded(v) if not isinstance(v, ast.FormattedValue) else None for v in node.values]
        return None if None in parts else "".join(parts)
    return None


def _names_forbidden(node) -> bool:
    """An attribute, or a string given to a lookup, that spells a forbidden built-in."""
    if isinstance(node, ast.Attribute):
        return _forbidden(node.attr)
    if isinstance(node, ast.Subscript):
        text = _folded(node.slice)
        return text is not None and _forbidden(text)
    if isinstance(node, ast.Call):
        callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        return callee in NAME_TAKERS and any(_forbidden(_folded(a) or "") for a in node.args)
    return False


def _forbidden(name: str) -> bool:
    flat = name.replace("_", "").lower()
    return any(op in flat for op in FORBIDDEN_OPS)


class _CellScan(ast.NodeVisitor):
    """Walks one cell; each finding is filed under the top-level def it sits in (None: module level)."""

    def __init__(self, cell: int, tainted: set[str], modules: set[str]):
        self.cell = cell
        self.tainted = tainted  # names bound at module level to a forbidden built-in (across cells)
        self.modules = modules  # names bound to modules: imports, and lookups by string (sys.modules[...])
        self.found: list[tuple[str | None, Finding]] = []
        self.scope: str | None = None
        self.defined: set[str] = set()

    def add(self, node, what: str, kind: str):
        self.found.append((self.scope, Finding(what, self.cell, getattr(node, "lineno", 0), kind)))

    def visit_FunctionDef(self, node):
        if self.scope is None:
            self.defined.add(node.name)
            self.scope = node.name
            self.generic_visit(node)
            self.scope = None
        else:
            self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        if self.scope is None:
            self.scope = f"class {node.name}"
            self.generic_visit(node)
            self.scope = None
        else:
            self.generic_visit(node)

    def _name(self, node, name: str):
        if name in BLINDING:
            self.add(node, name, "blinding")
        elif name in SUSPICIOUS:
            self.add(node, name, "suspicious")

    def visit_Attribute(self, node):
        self._name(node, node.attr)
        if _forbidden(node.attr):
            self.add(node, _dotted(node) or node.attr, "forbidden")
        self.generic_visit(node)

    def visit_Name(self, node):
        if node.id not in ATTRIBUTE_ONLY:
            self._name(node, node.id)
        if node.id in self.tainted and self.scope is not None:
            self.add(node, f"{node.id} (a forbidden built-in bound at module level)", "forbidden")

    def _module(self, node, module: str):
        root = module.split(".")[0]
        if root in MODULES:
            self.add(node, f"import {module}", "blinding" if root in BLINDING_MODULES else "suspicious")
        for part in module.split("."):
            self._name(node, part)

    def visit_Import(self, node):
        for alias in node.names:
            self.modules.add((alias.asname or alias.name).split(".")[0])
            self._module(node, alias.name)
            if _forbidden(alias.name):
                self.add(node, f"import {alias.name}", "forbidden")
                self.tainted.add((alias.asname or alias.name).split(".")[0])

    def visit_ImportFrom(self, node):
        self._module(node, node.module or "")
        for alias in node.names:
            self.modules.add(alias.asname or alias.name)
            self._name(node, alias.name)
            if _forbidden(alias.name):
                self.add(node, f"from {node.module} import {alias.name}", "forbidden")
                self.tainted.add(alias.asname or alias.name)

    def visit_Assign(self, node):
        names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        if self.scope is None and any(_names_forbidden(n) for n in ast.walk(node.value)):
            self.tainted.update(names)
        if self.scope is None and isinstance(node.value, ast.Subscript) and _folded(node.value.slice) is not None:
            self.modules.update(names)  # x = sys.__dict__["modules"]["..."]: possibly a module
        for target in node.targets:
            if isinstance(target, ast.Attribute) and isinstance(target.value, (ast.Name, ast.Attribute)):
                base = _dotted(target.value).split(".")[0]
                if base in self.modules:  # torch.allclose = ..., a module's function swapped (a.grad = None is not)
                    self.add(node, f"replaces {_dotted(target)}", "suspicious")
        self.generic_visit(node)

    def visit_Call(self, node):
        callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if callee in DYNAMIC:
            self.add(node, f"{callee}()", "suspicious")
        if callee in NAME_TAKERS:
            for arg in node.args:
                text = _folded(arg)
                if text is not None and _forbidden(text):
                    self.add(node, f"{callee}({text!r})", "forbidden")
                if text is not None:
                    self._looked_up(node, f"{callee}({text!r})", text)
            if callee == "getattr" and len(node.args) >= 2 and _folded(node.args[1]) is None:
                self.add(node, "getattr() with a name computed at run time", "suspicious")
        self.generic_visit(node)

    def visit_Subscript(self, node):
        text = _folded(node.slice)
        if text is not None:
            if _forbidden(text):
                self.add(node, f"[{text!r}]", "forbidden")
            self._looked_up(node, f"[{text!r}]", text)
        self.generic_visit(node)

    def _looked_up(self, node, what: str, text: str):
        """A module or name looked up by a string (sys.modules["grader..."], getattr(x, "f_globals"))."""
        root = text.split(".")[0]
        if root in MODULES:
            self.add(node, what, "blinding" if root in BLINDING_MODULES else "suspicious")
        for part in text.split("."):
            self._name(node, part)

    def visit_Constant(self, node):
        if isinstance(node.value, str) and "/proc/" in node.value:
            self.add(node, f"the path {node.value[:40]!r}", "suspicious")


def scan_cells(cells: list[tuple[int, str]]) -> Findings:
    """Scan the student's own code cells (grade cells excluded by the caller)."""
    findings = Findings()
    tainted: set[str] = set()
    modules: set[str] = set()
    for index, source in cells:
        try:
            tree = ast.parse(_python(source))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            findings.unreadable.append(index)
            continue
        walker = _CellScan(index, tainted, modules)
        try:
            walker.visit(tree)
        except RecursionError:
            findings.unreadable.append(index)
            continue
        in_cell = [fn for fn in FUNCTIONS if fn in walker.defined]
        for scope, finding in walker.found:
            if finding.what == "get_ipython" and "get_ipython" not in source:
                continue  # IPython's own translation of a %magic, !shell or ?help line, as in any kernel
            if finding.kind == "forbidden":
                # a forbidden built-in matters inside cross_entropy or any helper; module-level use (a
                # student comparing with F.cross_entropy) and other contract functions' bodies do not
                if scope is None or (scope in FUNCTIONS and scope != GUARDED):
                    continue
                owners = [GUARDED]
            elif scope in FUNCTIONS:
                owners = [scope]
            else:
                owners = in_cell or list(FUNCTIONS)
            for fn in owners:
                if finding not in findings.by_function[fn]:
                    findings.by_function[fn].append(finding)
    return findings


def judge(functions: dict, findings: Findings) -> list[str]:
    """Apply the scan to the sealed verdicts (FunctionResult by function). -> problems to report.

    - a forbidden built-in in cross_entropy's code next to tracer-blinding code: a certain breach, 0 points;
    - a forbidden built-in the run-time checks did not see: manual grading (dead code, or hidden);
    - blinding or suspicious code attributed to a function: manual grading, with what and where.
    """
    problems = []
    for fn, verdict in functions.items():
        forbidden = findings.of(fn, "forbidden")
        blinding = findings.of(fn, "blinding")
        suspicious = findings.of(fn, "suspicious")
        if fn == GUARDED and forbidden and blinding and verdict.points > 0:
            verdict.points = 0.0
            verdict.message = (
                f"{fn} scores 0: its code calls a forbidden built-in ({forbidden[0]}) and uses "
                f"{blinding[0]}, which hides calls from the checks / {fn} 得 0 分:代码调用了禁止的内置函数,"
                "并使用了能躲过检查的机制"
            )
            problems.append(f"{fn}: a forbidden built-in hidden from the checks ({forbidden[0]}; {blinding[0]})")
            continue
        reasons = []
        if fn == GUARDED and forbidden and verdict.checks.get(FORBIDDEN_CHECK) != "failed" and verdict.points > 0:
            reasons.append(f"the source names a forbidden built-in the checks never saw run: {forbidden[0]}")
        if blinding or suspicious:
            shown = ", ".join(str(f) for f in (blinding + suspicious)[:3])
            more = len(blinding) + len(suspicious) - 3
            reasons.append(
                f"the code uses what can hide or fake what the checks observe: {shown}"
                + (f" and {more} more" if more > 0 else "")
            )
        if reasons and verdict.points > 0:
            verdict.manual_reason = "; ".join(reasons)
            problems.append(f"{fn} sent to manual grading: {verdict.manual_reason}")
    return problems
