"""AST rewrites that undo the usual disguises: dead code, a loop written as a comprehension, reordered statements.

Each rewrite maps the disguised form and the plain one onto the same tree, so their token streams agree.
The student's code is only parsed (ast), never run; each rewrite is bounded by the size of the tree.
"""

import ast
import heapq
from collections.abc import Callable

MAX_RUN = 64  # statements reordered as one run at most; a longer run keeps its order (bounded work)
MAX_LOOKBACK = 32  # statements searched back from a loop for the empty list it fills (bounded work)
TERMINAL = (ast.Return, ast.Raise, ast.Continue, ast.Break)  # nothing after these in a block ever runs
MOVABLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Import, ast.ImportFrom)
DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
CALLS = "()"  # a pseudo-name every call with effects reads and writes: two such statements keep their order
# Calls taken to have no effect beyond their value (any other call may have one: printing, drawing, the
# random generator, a student's own function, a method that changes its object)
PURE_BUILTINS = {"abs", "all", "any", "bool", "dict", "enumerate", "float", "int", "isinstance", "len", "list", "max"}
PURE_BUILTINS |= {"min", "range", "reversed", "round", "set", "sorted", "str", "sum", "tuple", "zip"}
EFFECT_METHODS = {"append", "extend", "insert", "pop", "remove", "clear", "update", "add", "backward", "step"}
EFFECT_METHODS |= {"manual_seed", "seed", "shuffle", "randperm", "rand", "randn", "randint", "normal", "multinomial"}
EFFECT_METHODS |= {"bernoulli", "dropout", "write", "show", "savefig", "plot", "scatter", "print"}


class Rewriter:
    """Rewrites every block of a tree in place. `loaded`: names read anywhere in the submission; `keep`: defs kept
    however unused (the contract functions); `key(stmt) -> str`: the order of independent statements."""

    def __init__(self, loaded: set[str], keep: set[str], key: Callable[[ast.stmt], str]):
        self.loaded, self.keep, self.key = loaded, keep, key
        self.in_class = 0  # methods are called by attribute (or by Python itself): never dropped as unused

    def module(self, tree: ast.Module) -> ast.Module:
        tree.body = self.block(tree.body)
        return tree

    def block(self, stmts: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for s in stmts:
            out.extend(self.stmt(s))
            if out and isinstance(out[-1], TERMINAL):
                break  # unreachable code after a return, raise, continue or break
        return self.reorder(comprehensions(out))

    def stmt(self, s: ast.stmt) -> list[ast.stmt]:
        """The statement as the rewrites see it: [] for dead code, a constant `if` by its live branch."""
        if isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)):
            return []  # pass, docstrings and other bare strings
        if isinstance(s, ast.If) and isinstance(s.test, ast.Constant):
            return self.block(s.body if s.test.value else s.orelse)
        if isinstance(s, ast.While) and isinstance(s.test, ast.Constant) and not s.test.value:
            return self.block(s.orelse)
        if self._unused(s):
            return []
        self.in_class += isinstance(s, ast.ClassDef)
        for name in ("body", "orelse", "finalbody"):
            inner = getattr(s, name, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                setattr(s, name, self.block(inner))
        self.in_class -= isinstance(s, ast.ClassDef)
        for handler in getattr(s, "handlers", ()):
            handler.body = self.block(handler.body)
        for case in getattr(s, "cases", ()):
            case.body = self.block(case.body)
        return [s]

    def _unused(self, s: ast.stmt) -> bool:
        """An assignment to names nothing reads, or a def nothing calls: dead code, whatever it computes."""
        if isinstance(s, DEFS):
            return not self.in_class and s.name not in self.loaded and s.name not in self.keep
        targets = s.targets if isinstance(s, ast.Assign) else [s.target] if isinstance(s, ast.AnnAssign) else []
        names = [n for t in targets for n in (t.elts if isinstance(t, ast.Tuple | ast.List) else [t])]
        return bool(names) and all(isinstance(n, ast.Name) and n.id not in self.loaded for n in names)

    def reorder(self, stmts: list[ast.stmt]) -> list[ast.stmt]:
        """Each run of simple statements in one canonical order that keeps every dependency between them."""
        out: list[ast.stmt] = []
        run: list[ast.stmt] = []
        for s in [*stmts, None]:
            if isinstance(s, MOVABLE):
                run.append(s)
                continue
            out.extend(self._canonical(run) if 1 < len(run) <= MAX_RUN else run)
            run = []
            if s is not None:
                out.append(s)
        return out

    def _canonical(self, run: list[ast.stmt]) -> list[ast.stmt]:
        """The smallest order by key among those that keep every conflicting pair in its written order."""
        effects = [_effects(s) for s in run]
        after: list[list[int]] = [[] for _ in run]
        waiting = [0] * len(run)
        for j, (rj, wj) in enumerate(effects):
            for i in range(j):
                ri, wi = effects[i]
                if wi & (rj | wj) or ri & wj:
                    after[i].append(j)
                    waiting[j] += 1
        keys = [self.key(s) for s in run]
        ready = [(keys[i], i) for i in range(len(run)) if not waiting[i]]
        heapq.heapify(ready)
        order = []
        while ready:
            _, i = heapq.heappop(ready)
            order.append(run[i])
            for j in after[i]:
                waiting[j] -= 1
                if not waiting[j]:
                    heapq.heappush(ready, (keys[j], j))
        return order


def _root(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Starred):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _has_effects(call: ast.Call) -> bool:
    """Whether a call may do more than return a value (a statement that only calls is taken to, always)."""
    if isinstance(call.func, ast.Name):
        return call.func.id not in PURE_BUILTINS
    if isinstance(call.func, ast.Attribute):
        return call.func.attr.endswith("_") or call.func.attr in EFFECT_METHODS
    return True


def _effects(s: ast.stmt) -> tuple[set[str], set[str]]:
    """(names read, names written) by one simple statement; an attribute or item store writes its root name."""
    reads: set[str] = set()
    writes: set[str] = set()
    for node in ast.walk(s):
        if isinstance(node, ast.Name):
            (reads if isinstance(node.ctx, ast.Load) else writes).add(node.id)
        elif isinstance(node, ast.Call) and (isinstance(s, ast.Expr) or _has_effects(node)):
            reads.add(CALLS)
            writes.add(CALLS)
        elif isinstance(node, ast.Attribute | ast.Subscript) and not isinstance(node.ctx, ast.Load):
            root = _root(node)
            if root:
                writes.add(root)
        elif isinstance(node, ast.alias):
            writes.add(node.asname or node.name.split(".")[0])
    if isinstance(s, ast.AugAssign):
        root = _root(s.target)
        if root:
            reads.add(root)
    return reads, writes


def _accumulation(s: ast.stmt) -> tuple[str, str, ast.expr, list[ast.comprehension]] | None:
    """`for t in it: [if c:] acc.append(e)` (nested loops too) -> ("list", acc, e, generators); `acc += e` in the
    same shape -> ("sum", ...). None for any other statement."""
    generators = []
    node: ast.stmt = s
    while isinstance(node, ast.For) and not node.orelse and len(node.body) == 1:
        generators.append(ast.comprehension(target=node.target, iter=node.iter, ifs=[], is_async=0))
        node = node.body[0]
        while isinstance(node, ast.If) and not node.orelse and len(node.body) == 1:
            generators[-1].ifs.append(node.test)
            node = node.body[0]
    if not generators:
        return None
    call = node.value if isinstance(node, ast.Expr) else None
    if (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "append"
        and isinstance(call.func.value, ast.Name)
        and len(call.args) == 1
        and not call.keywords
    ):
        return "list", call.func.value.id, call.args[0], generators
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add) and isinstance(node.target, ast.Name):
        return "sum", node.target.id, node.value, generators
    return None


def _extended(s: ast.stmt) -> tuple[str, ast.ListComp] | None:
    """`acc += [e for ...]` or `acc.extend(e for ...)` -> (acc, the comprehension as a list)."""
    if isinstance(s, ast.AugAssign) and isinstance(s.op, ast.Add) and isinstance(s.target, ast.Name):
        name, value = s.target.id, s.value
    elif (
        isinstance(s, ast.Expr)
        and isinstance(s.value, ast.Call)
        and isinstance(s.value.func, ast.Attribute)
        and s.value.func.attr == "extend"
        and isinstance(s.value.func.value, ast.Name)
        and len(s.value.args) == 1
        and not s.value.keywords
    ):
        name, value = s.value.func.value.id, s.value.args[0]
    else:
        return None
    if isinstance(value, ast.ListComp | ast.GeneratorExp):
        return name, ast.copy_location(ast.ListComp(elt=value.elt, generators=value.generators), value)
    return None


def _is_empty_init(s: ast.stmt, name: str, kind: str) -> bool:
    """`name = []` / `name = list()` (kind "list"), `name = 0` / `name = 0.0` (kind "sum")."""
    if not (isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)):
        return False
    if s.targets[0].id != name:
        return False
    v = s.value
    if kind == "sum":
        return isinstance(v, ast.Constant) and not isinstance(v.value, bool) and v.value in (0, 0.0)
    empty_list = isinstance(v, ast.List) and not v.elts
    return empty_list or (
        isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id == "list" and not v.args
    )


def _mentions(s: ast.stmt, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(s))


def comprehensions(stmts: list[ast.stmt]) -> list[ast.stmt]:
    """Accumulating loops as comprehensions: `acc = []` then a loop appending to it becomes `acc = [e for ...]`,
    a loop appending to an earlier list `acc.extend([e for ...])`, `s = 0` then `s += e` in a loop
    `s = sum(e for ...)`; `acc += [...]` and `acc.extend(...)` take the same extend form."""
    out: list[ast.stmt] = []
    for s in stmts:
        found = _accumulation(s)
        if found and found[0] == "list":
            _, name, elt, generators = found
            comp = ast.copy_location(ast.ListComp(elt=elt, generators=generators), s)
            s = _extend(name, comp, s)
        elif found:
            _, name, elt, generators = found
            init = _init_before(out, name, "sum")
            if init is not None:
                out.pop(init)
                total = ast.Call(ast.Name("sum", ast.Load()), [ast.GeneratorExp(elt=elt, generators=generators)], [])
                s = ast.copy_location(ast.Assign([ast.Name(name, ast.Store())], total, lineno=s.lineno), s)
        extended = _extended(s)
        if extended:
            name, comp = extended
            init = _init_before(out, name, "list")
            if init is not None:
                out.pop(init)
                s = ast.copy_location(ast.Assign([ast.Name(name, ast.Store())], comp, lineno=s.lineno), s)
            else:
                s = _extend(name, comp, s)
        out.append(s)
    return out


def _extend(name: str, comp: ast.ListComp, where: ast.stmt) -> ast.stmt:
    func = ast.Attribute(ast.Name(name, ast.Load()), "extend", ast.Load())
    return ast.copy_location(ast.Expr(ast.Call(func, [comp], [])), where)


def _init_before(out: list[ast.stmt], name: str, kind: str) -> int | None:
    """The index in `out` of the latest empty start of `name`, if nothing after it mentions `name`."""
    for i in range(len(out) - 1, max(len(out) - MAX_LOOKBACK, 0) - 1, -1):
        if _is_empty_init(out[i], name, kind):
            return i
        if _mentions(out[i], name):
            return None
    return None
