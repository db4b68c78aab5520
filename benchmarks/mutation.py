"""Mutation benchmark of the hidden checks: how many small bugs in the reference do they catch?

Every mutant is lesson_ref's source of one contract function with one small change (an operator, a
constant, a method, a keyword argument or a statement dropped, an index dropped, a sign), graded as a
student's submission in-process (grader.runner.run_checks + Submission, the other functions the reference
ones). A mutant is killed when it loses points. Prints the kill rate (killed / non-equivalent mutants)
and every survivor; EQUIVALENT lists the survivors shown to compute the same thing, with the reason.
Not a CI gate: `.venv/bin/python benchmarks/mutation.py [function ...]`.

Besides these single changes, BEHAVIOURS rewrites the reference into one instance of each kind of wrong code
that is right on the lesson's own inputs only (issue 19): state kept between calls, a step right only while
the gradient is small, a fixed seed in place of none, a formula whose gradient is undefined at a perfect fit.
"""

import ast
import copy
import inspect
import math
import sys
import time
from dataclasses import dataclass

import torch

import lesson_ref
from grader import FUNCTIONS
from grader.runner import run_checks
from grader.submission import Submission

BINOP_SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult}
METHOD_SWAPS = {
    "mean": "sum",
    "sum": "mean",
    "max": "min",
    "sub_": "add_",
    "exp": "expm1",
    "log": "log1p",
    "zero_": "detach_",
    "split": "chunk",
    "item": "__float__",
    "squeeze": "unsqueeze",
    "backward": "detach",
    "randperm": "arange",
}

# Survivors that compute the same thing as the reference (description -> why), per function.
BROADCAST = (
    "the loss is the mean of an (n, n) broadcast of an outer sum or difference instead of (n,) terms, and the "
    "mean of a[i] - b[j] over all i, j is mean(a) - mean(b): the same value and gradient (n x n memory)"
)
EQUIVALENT = {
    "mse": {
        "swap the arguments of a binary -: `return ((y - y_hat) ** 2).mean()`": "(y - y_hat)² equals (y_hat - y)²",
    },
    "update": {
        "swap the first two arguments of mse(): `loss = mse(y, x @ a)`": "mse is symmetric in its arguments",
    },
    "minibatch_sgd": {
        "x -> y: `perm = torch.randperm(y.shape[0], generator=generator, device=x.device)`": "x and y have n rows",
        "x -> y: `perm = torch.randperm(x.shape[0], generator=generator, device=y.device)`": "x and y share a device",
        "x -> a: `perm = torch.randperm(x.shape[0], generator=generator, device=a.device)`": (
            "the contract puts a on the data's device (update computes x @ a)"
        ),
    },
    "cross_entropy": {
        "constant 1 -> 0: `log_z = m.squeeze(0) + (logits - m).exp().sum(dim=1).log()`": BROADCAST,
        "squeeze -> unsqueeze: `log_z = m.unsqueeze(1) + (logits - m).exp().sum(dim=1).log()`": BROADCAST,
        "constant 1 -> 0: `picked = logits.gather(1, target.unsqueeze(1)).squeeze(0)`": BROADCAST,
        "squeeze -> unsqueeze: `picked = logits.gather(1, target.unsqueeze(1)).unsqueeze(1)`": BROADCAST,
        "drop .detach(): `m = logits.max(dim=1, keepdim=True).values`": (
            "m only shifts the logits: log_z - picked does not depend on it, so its gradient is 0 either way"
        ),
    },
}


# (function, what it does, [(reference text, its replacement), ...]): wrong code right on the lesson's data
STEP, ZERO = "a.sub_(lr * a.grad)", "a.grad.zero_()"
BEHAVIOURS = [
    (
        "mse",
        "rmse ** 2 (nan gradient at a perfect fit)",
        [("((y_hat - y) ** 2).mean()", "((y_hat - y) ** 2).mean().sqrt() ** 2")],
    ),
    ("mse", "sqrt(e ** 2) ** 2 row by row", [("((y_hat - y) ** 2)", "(((y_hat - y) ** 2).sqrt() ** 2)")]),
    ("mse", "exp(2 log |e|)", [("((y_hat - y) ** 2)", "torch.exp(2 * torch.log((y_hat - y).abs()))")]),
    ("update", "momentum kept per Parameter", [(STEP, "a.sub_(lr * _kept(a, a.grad))")]),
    ("update", "lr divided by the calls on this Parameter", [(STEP, "a.sub_(lr / _count(a) * a.grad)")]),
    ("update", "lr of the first call kept", [(STEP, "a.sub_(_first(a, lr) * a.grad)")]),
    ("update", "first gradient cached", [(STEP, "a.sub_(lr * _cached(a, a.grad))")]),
    ("update", "gradient norm clipped to 5", [(STEP, "a.sub_(lr * a.grad * (5 / a.grad.norm()).clamp(max=1))")]),
    ("update", "step clamped to [-1, 1]", [(STEP, "a.sub_((lr * a.grad).clamp(-1, 1))")]),
    ("update", "gradient entries clamped to [-1, 1]", [(STEP, "a.sub_(lr * a.grad.clamp(-1, 1))")]),
    ("update", "unit gradient", [(STEP, "a.sub_(lr * a.grad / a.grad.norm())")]),
    (
        "minibatch_sgd",
        "generator seeded with 42 when none",
        [("losses = []", "losses = []\n    generator = generator or torch.Generator(device=x.device).manual_seed(42)")],
    ),
    (
        "minibatch_sgd",
        "global RNG seeded with 0 when none",
        [("losses = []", "losses = []\n    _ = generator or torch.manual_seed(0)")],
    ),
    (
        "minibatch_sgd",
        "an unseeded generator when none",
        [("losses = []", "losses = []\n    generator = generator or torch.Generator(device=x.device)")],
    ),
]
# the state the stateful behaviours keep, per Parameter, for the whole run (as a student's module-level dicts)
STATE = """
_state = {}
def _kept(a, grad):
    v = _state.setdefault(("v", a), torch.zeros_like(grad))
    v.mul_(0.9).add_(grad)
    return v
def _count(a):
    _state[("n", a)] = _state.get(("n", a), 0) + 1
    return _state[("n", a)]
def _first(a, lr):
    return _state.setdefault(("lr", a), lr)
def _cached(a, grad):
    return _state.setdefault(("g", a), grad.clone())
"""


@dataclass
class Mutant:
    function: str
    description: str
    source: str


class _Mutator(ast.NodeTransformer):
    """Applies the `target`-th possible mutation of a tree (counting in visiting order); records what it did."""

    def __init__(self, target: int, params: list[str]):
        self.target, self.seen, self.done = target, -1, None
        self.params = params  # the function's parameters: a use of one may become another

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and node.id in self.params:
            for other in self.params:
                if other != node.id and self._hit(f"{node.id} -> {other}"):
                    return ast.copy_location(ast.Name(other, ast.Load()), node)
        if node.id == "no_grad" and self._hit("no_grad -> enable_grad"):
            return ast.copy_location(ast.Name("enable_grad", ast.Load()), node)
        return node

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if node.attr == "no_grad" and self._hit("no_grad -> enable_grad"):
            node.attr = "enable_grad"
        return node

    def _hit(self, description: str) -> bool:
        self.seen += 1
        if self.seen == self.target:
            self.done = description
            return True
        return False

    def visit_BinOp(self, node):
        self.generic_visit(node)
        swap = BINOP_SWAPS.get(type(node.op))
        if swap and self._hit(f"{type(node.op).__name__} -> {swap.__name__}"):
            return ast.copy_location(ast.BinOp(node.left, swap(), node.right), node)
        if isinstance(node.op, ast.Sub) and self._hit("swap the arguments of a binary -"):
            return ast.copy_location(ast.BinOp(node.right, ast.Sub(), node.left), node)
        return node

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        swap = BINOP_SWAPS.get(type(node.op))
        if swap and self._hit(f"augmented {type(node.op).__name__} -> {swap.__name__}"):
            node.op = swap()
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.USub) and self._hit("drop a unary minus"):
            return node.operand
        return node

    def visit_Constant(self, node):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            return node
        for new in dict.fromkeys((node.value + 1, node.value - 1 if node.value else 1, 0 if node.value else 2)):
            if new != node.value and self._hit(f"constant {node.value!r} -> {new!r}"):
                return ast.copy_location(ast.Constant(new), node)
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name in METHOD_SWAPS and self._hit(f"{name} -> {METHOD_SWAPS[name]}"):
            if isinstance(func, ast.Attribute):
                func.attr = METHOD_SWAPS[name]
            else:
                func.id = METHOD_SWAPS[name]
            return node
        for i, kw in enumerate(node.keywords):
            if self._hit(f"drop {kw.arg}= from {name}()"):
                node.keywords = node.keywords[:i] + node.keywords[i + 1 :]
                return node
        if isinstance(func, ast.Attribute) and not node.args and not node.keywords:
            if name in ("detach", "item", "values", "squeeze") and self._hit(f"drop .{name}()"):
                return func.value
        if len(node.args) >= 2 and self._hit(f"swap the first two arguments of {name}()"):
            node.args = [node.args[1], node.args[0], *node.args[2:]]
        return node

    def visit_Subscript(self, node):
        self.generic_visit(node)
        if isinstance(node.ctx, ast.Load) and self._hit(f"drop the index of {ast.unparse(node)}"):
            return node.value
        return node

    def _statements(self, body):
        out = []
        for stmt in body:
            stmt = self.visit(stmt)
            docstring = isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
            if (
                not isinstance(stmt, (ast.Return, ast.FunctionDef))
                and not docstring
                and self._hit(f"delete `{ast.unparse(stmt).splitlines()[0]}`")
            ):
                out.append(ast.copy_location(ast.Pass(), stmt))
            else:
                out.append(stmt)
        return out

    def visit_FunctionDef(self, node):
        node.body = self._statements(node.body)
        return node

    def visit_With(self, node):
        node.items = [self.visit(item) for item in node.items]
        node.body = self._statements(node.body)
        return node

    def visit_For(self, node):
        node.iter = self.visit(node.iter)
        node.body = self._statements(node.body)
        return node


def mutants(function: str) -> list[Mutant]:
    """Every single-change mutant of lesson_ref's `function` that still compiles."""
    tree = ast.parse(inspect.getsource(getattr(lesson_ref, function)))
    original = ast.unparse(tree)
    out, target = [], 0
    while True:
        mutator = _Mutator(target, [arg.arg for arg in tree.body[0].args.args])
        mutated = mutator.visit(copy.deepcopy(tree))
        if mutator.done is None:
            return out
        source = ast.unparse(ast.fix_missing_locations(mutated))
        pairs = zip(original.splitlines(), source.splitlines(), strict=False)
        changed = next((new for old, new in pairs if old != new), "")
        try:
            compile(source, "<mutant>", "exec")
            out.append(Mutant(function, f"{mutator.done}: `{changed.strip()}`", source))
        except SyntaxError:
            pass
        target += 1


def behaviour_mutants(function: str) -> list[Mutant]:
    """The reference's `function` rewritten into each of BEHAVIOURS' kinds of wrong code."""
    reference = inspect.getsource(getattr(lesson_ref, function))
    out = []
    for fn, what, changes in BEHAVIOURS:
        if fn != function:
            continue
        source = reference
        for old, new in changes:
            if old not in source:
                raise ValueError(f"{function}'s reference no longer holds {old!r}: update BEHAVIOURS")
            source = source.replace(old, new, 1)
        out.append(Mutant(function, f"behaviour: {what}", STATE + source))
    return out


def killed(mutant: Mutant) -> bool:
    """Does the mutant, graded as a student's function, lose points?"""
    scope = {"torch": torch, "nn": torch.nn, "math": math, **{fn: getattr(lesson_ref, fn) for fn in FUNCTIONS}}
    scope["mse"] = lesson_ref.mse
    exec(compile(mutant.source, f"<mutant of {mutant.function}>", "exec"), scope)
    return not run_checks(mutant.function, Submission(scope)).passed


def main(functions) -> int:
    started = time.perf_counter()
    total = kills = equivalent = 0
    survivors = []
    for function in functions:
        found = mutants(function) + behaviour_mutants(function)
        fn_kills = fn_equiv = 0
        for mutant in found:
            if killed(mutant):
                fn_kills += 1
            elif mutant.description in EQUIVALENT.get(function, {}):
                fn_equiv += 1
            else:
                survivors.append(mutant)
        total, kills, equivalent = total + len(found), kills + fn_kills, equivalent + fn_equiv
        rate = fn_kills / max(len(found) - fn_equiv, 1)
        print(f"{function:<15} {len(found):>4} mutants  {fn_kills:>4} killed  {fn_equiv:>3} equivalent  {rate:7.1%}")
    rate = kills / max(total - equivalent, 1)
    print(f"{'all':<15} {total:>4} mutants  {kills:>4} killed  {equivalent:>3} equivalent  {rate:7.1%} kill rate")
    print(f"({time.perf_counter() - started:.0f} s)")
    for mutant in survivors:
        print(f"\nSURVIVOR {mutant.function}: {mutant.description}\n{mutant.source}")
    if "-v" in sys.argv:
        for function, reasons in EQUIVALENT.items():
            for description, why in reasons.items():
                print(f"\nequivalent {function}: {description}\n    {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main([a for a in sys.argv[1:] if a != "-v"] or FUNCTIONS))
