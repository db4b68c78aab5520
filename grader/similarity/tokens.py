"""Source text -> a normalised token stream, with the line each token came from; nothing is ever run.

A code cell is parsed (ast; IPython's %magic and !shell lines translated first where plain Python fails),
rewritten (rewrite.py: dead code, comprehensions, statement order) and walked in pre-order, one token per
syntax node: comments, docstrings, layout and string contents are gone, every name the student's code
binds is the one token `V` (so renaming a variable or helper changes nothing), and a module's functions
keep their full name whatever the alias (`F.mse_loss` and `torch.nn.functional.mse_loss` agree). A cell
that does not parse is split by a regular expression instead; prose (markdown) into words.
"""

import ast
import builtins
import keyword
import re
from dataclasses import dataclass, field

Tokens = tuple[list[str], list[int]]  # the tokens, and the line (1-based, in its cell) of each

PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError)
SKIPPED = (ast.expr_context, ast.type_ignore)
BUILTINS = frozenset(dir(builtins))
# one token for the word, or a CJK character (Chinese has no spaces between words)
_CJK = "\u3400-\u9fff\uf900-\ufaff"
_WORD = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
_LEX = re.compile(
    r"(?P<comment>#[^\n]*)|(?P<string>'''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\"|'[^'\n]*'|\"[^\"\n]*\")"
    r"|(?P<number>\d[\w.]*)|(?P<name>[^\W\d]\w*)|(?P<op>[^\s\w])"
)


@dataclass
class Names:
    """What a submission's code binds: each bound name is the token V; an import alias its module's path."""

    bound: set[str] = field(default_factory=set)
    modules: dict[str, str] = field(default_factory=dict)  # alias -> dotted module path
    loaded: set[str] = field(default_factory=set)  # names read anywhere (what is never read is dead code)

    def add(self, tree: ast.AST) -> "Names":
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                (self.loaded if isinstance(node.ctx, ast.Load) else self.bound).add(node.id)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    top = a.name.split(".")[0]
                    self.modules[a.asname or top] = a.name if a.asname else top
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    if a.name != "*":
                        self.modules[a.asname or a.name] = f"{node.module}.{a.name}"
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                self.bound.add(node.name)
            elif isinstance(node, ast.arg):
                self.bound.add(node.arg)
            elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
                self.bound.add(node.name)
            elif isinstance(node, ast.Global | ast.Nonlocal):
                self.bound.update(node.names)
        return self

    def merged(self, other: "Names") -> "Names":
        return Names(self.bound | other.bound, {**self.modules, **other.modules}, self.loaded | other.loaded)

    def name(self, name: str) -> str:
        if name in self.modules and name not in self.bound:
            return "M:" + self.modules[name]
        return "V" if name in self.bound else "N:" + name

    def dotted(self, node: ast.Attribute) -> str | None:
        """`F.mse_loss` -> "torch.nn.functional.mse_loss" where F is a module alias; None otherwise."""
        parts = []
        inner: ast.expr = node
        while isinstance(inner, ast.Attribute):
            parts.append(inner.attr)
            inner = inner.value
        if isinstance(inner, ast.Name) and inner.id in self.modules and inner.id not in self.bound:
            return ".".join([self.modules[inner.id], *reversed(parts)])
        return None


def parse(source: str) -> ast.Module | None:
    """The cell's syntax tree, or None where neither Python nor IPython's translation of it parses."""
    try:
        return ast.parse(source)
    except PARSE_ERRORS:
        pass
    if not re.search(r"^\s*[%!]|\?\s*$", source, re.MULTILINE):
        return None
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return ast.parse(TransformerManager().transform_cell(source))
    except Exception:  # whatever IPython's translation makes of hostile text, the cell is just unparsable
        return None


def _node(node: ast.AST, names: Names) -> tuple[str | None, list[ast.AST]]:
    """One node's token (None: none) and the children walked after it, in order."""
    if isinstance(node, SKIPPED):
        return None, []
    if isinstance(node, ast.Name):
        return names.name(node.id), []
    if isinstance(node, ast.Attribute):
        path = names.dotted(node)
        return ("M:" + path, []) if path else ("A:" + node.attr, [node.value])
    if isinstance(node, ast.Constant):
        return ("S" if isinstance(node.value, str | bytes) else "C:" + repr(node.value)[:24]), []
    if isinstance(node, ast.JoinedStr):
        return "S", []
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):  # the name is the student's; annotations go
        return "Def", [*node.decorator_list, node.args, *node.body]
    if isinstance(node, ast.arg):
        return "V", []
    if isinstance(node, ast.AnnAssign):  # `x: int = 1` is `x = 1`
        return ("Assign", [node.target, node.value]) if node.value else (None, [])
    if isinstance(node, ast.keyword):
        return "K:" + (node.arg or "**"), [node.value]
    if isinstance(node, ast.alias):
        return "I:" + node.name, []
    if isinstance(node, ast.ImportFrom):
        return "From:" + (node.module or ""), list(node.names)
    if isinstance(node, ast.ClassDef):
        return "Class", [*node.bases, *node.keywords, *node.body]
    return type(node).__name__, list(ast.iter_child_nodes(node))


def code(tree: ast.AST, names: Names, limit: int) -> Tokens:
    """The tree's tokens in pre-order, at most `limit` of them (walked with a stack: no recursion limit)."""
    tokens: list[str] = []
    lines: list[int] = []
    stack: list[tuple[ast.AST, int]] = [(tree, getattr(tree, "lineno", 1))]
    while stack and len(tokens) < limit:
        node, line = stack.pop()
        line = getattr(node, "lineno", line)
        token, children = _node(node, names)
        if token is not None:
            tokens.append(token)
            lines.append(line)
        stack.extend((child, line) for child in reversed(children))
    return tokens, lines


def key(stmt: ast.stmt, names: Names) -> str:
    """A statement's tokens as one string: the order rewrite.py puts independent statements in."""
    return " ".join(code(stmt, names, 400)[0])


def lexed(source: str, names: Names, limit: int) -> Tokens:
    """Tokens of a cell that does not parse, by a regular expression: names as the parser's walk gives them."""
    tokens: list[str] = []
    lines: list[int] = []
    line, last, after_dot = 1, 0, False
    for m in _LEX.finditer(source):
        if len(tokens) >= limit:
            break
        line += source.count("\n", last, m.start())
        last = m.start()
        kind, text = m.lastgroup, m.group()
        if kind == "comment":
            continue
        if kind == "string":
            token = "S"
        elif kind == "number":
            token = "C:" + text
        elif kind == "name":
            token = "A:" + text if after_dot else text if keyword.iskeyword(text) else _lexed_name(text, names)
        else:
            token = text
        after_dot = text == "."
        tokens.append(token)
        lines.append(line)
    return tokens, lines


def _lexed_name(name: str, names: Names) -> str:
    """A name in a cell that does not parse: what binds it is unknown, so anything but a module or builtin is V."""
    if name in names.modules or (name in BUILTINS and name not in names.bound):
        return names.name(name)
    return "V"


def prose(text: str, limit: int) -> Tokens:
    """A markdown cell's words (lower case; CJK character by character) and their lines."""
    tokens: list[str] = []
    lines: list[int] = []
    for number, line in enumerate(text.splitlines(), 1):
        for word in _WORD.findall(line.lower()):
            tokens.append("w:" + word)
            lines.append(number)
        if len(tokens) >= limit:
            break
    return tokens[:limit], lines[:limit]
