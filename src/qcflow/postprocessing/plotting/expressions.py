"""Safe ``TTree::Draw`` expressions (``varexp``, ``selection``, ``graphErrors``) over numpy columns.

``"vertex_X.stddev/pow(vertex_X.entries,0.5)"`` is read in three steps, and nothing is ever
passed to ``eval``:

1. **tokens** -- a regular expression accepts only numbers, names (``a.b`` chains, ``TMath::Sqrt``,
   ``Entry$``), and the operators ``+ - * / % ^ ** == != = < <= > >= && || ! ( ) ,``. Any other
   character is an error naming its column;
2. **translation** -- ROOT's spellings become Python's (``&&`` -> ``and``, ``||`` -> ``or``,
   ``!`` -> ``~``, ``^`` -> ``**``, ``=`` -> ``==``) and every name and number becomes a placeholder
   (``_n0``, ``_k1``), so the Python parser never sees a user's identifier, keyword or literal;
3. **a checked tree** -- :func:`ast.parse` builds the tree, and only arithmetic, comparison,
   boolean operators, placeholders and calls of placeholders naming a function of the table
   below are allowed; the tree is then *walked* with numpy (float64, element-wise).

**Array branches** (a column holding an array per entry: a 2-D numpy column, or an object
column of arrays) take ``TTree::Draw``'s subscripts: ``a.b[2]`` is one element, ``a.b[]`` (or
``a.b`` alone) every element, ``a.b[0][]`` one row of a 2-D array; a subscript is a number or
empty. Every ``[]`` of the expressions drawn together (:func:`evaluate_together`: varexp parts,
selection, errors) runs over the elements *in step*, for as many elements as the shortest of
them has in that entry; values of one entry (scalars, fixed elements, ``Entry$``) repeat for
each. With several ``[]`` on one name the k-th ``[]`` of every name shares one index (ROOT's
``fMatrix[][] - fVector[]`` is ``fMatrix[i][j] - fVector[i]``). An entry whose array is too
short for a fixed index gives no values, as in ROOT.

C semantics where they differ from Python's: ``!`` binds tightest, comparisons do not chain
(``a < b < c`` is ``(a < b) < c``), ``%`` is ``fmod``, booleans are 1.0/0.0. Overflow gives
``inf``, never an exception or a hang (``9^9^9``). ``Entry$`` is the entry number, ``Entries$``
the number of entries.

:func:`split_varexp` splits ``"y:x"`` on single colons (``TMath::Sqrt`` keeps its ``::``).
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from qcflow._hints import did_you_mean
from qcflow.errors import InvalidInput

__all__ = [
    "FUNCTIONS",
    "Expression",
    "UnknownBranch",
    "check_branches",
    "evaluate_together",
    "parse_expression",
    "parse_varexp",
    "split_reference",
    "split_varexp",
]

MAX_LENGTH = 4000
MAX_DEPTH = 64

Array = npt.NDArray[Any]

_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:(?:\.|::)[A-Za-z_][A-Za-z0-9_]*)*\$?)
      | (?P<op>&&|\|\||==|!=|<=|>=|\*\*|[-+*/%<>!()^,=])""",
    re.VERBOSE,
)
_TRANSLATE = {"&&": " and ", "||": " or ", "!": "~", "^": "**", "=": "=="}
_SUBSCRIPT = re.compile(r"\[\s*(\d*)\s*\]")
#: How many subscripts a name may carry (ROOT's arrays have at most a few dimensions).
MAX_SUBSCRIPTS = 8


def _fixed(value: float) -> Callable[[], float]:
    return lambda: value


#: Functions an expression may call: name -> (numpy function, number of arguments).
FUNCTIONS: Mapping[str, tuple[Callable[..., Any], int]] = {
    **dict.fromkeys(("sqrt", "TMath::Sqrt"), (np.sqrt, 1)),
    **dict.fromkeys(("pow", "TMath::Power"), (np.power, 2)),
    **dict.fromkeys(("abs", "fabs", "TMath::Abs"), (np.abs, 1)),
    **dict.fromkeys(("exp", "TMath::Exp"), (np.exp, 1)),
    **dict.fromkeys(("log", "TMath::Log"), (np.log, 1)),
    **dict.fromkeys(("log10", "TMath::Log10"), (np.log10, 1)),
    **dict.fromkeys(("log2", "TMath::Log2"), (np.log2, 1)),
    **dict.fromkeys(("sin", "TMath::Sin"), (np.sin, 1)),
    **dict.fromkeys(("cos", "TMath::Cos"), (np.cos, 1)),
    **dict.fromkeys(("tan", "TMath::Tan"), (np.tan, 1)),
    **dict.fromkeys(("asin", "TMath::ASin"), (np.arcsin, 1)),
    **dict.fromkeys(("acos", "TMath::ACos"), (np.arccos, 1)),
    **dict.fromkeys(("atan", "TMath::ATan"), (np.arctan, 1)),
    **dict.fromkeys(("atan2", "TMath::ATan2"), (np.arctan2, 2)),
    **dict.fromkeys(("sinh", "TMath::SinH"), (np.sinh, 1)),
    **dict.fromkeys(("cosh", "TMath::CosH"), (np.cosh, 1)),
    **dict.fromkeys(("tanh", "TMath::TanH"), (np.tanh, 1)),
    **dict.fromkeys(("min", "TMath::Min"), (np.minimum, 2)),
    **dict.fromkeys(("max", "TMath::Max"), (np.maximum, 2)),
    **dict.fromkeys(("floor", "TMath::Floor"), (np.floor, 1)),
    **dict.fromkeys(("ceil", "TMath::Ceil"), (np.ceil, 1)),
    **dict.fromkeys(("hypot", "TMath::Hypot"), (np.hypot, 2)),
    "TMath::Nint": (np.rint, 1),
    "TMath::Sq": (np.square, 1),
    "TMath::Pi": (_fixed(math.pi), 0),
    "TMath::E": (_fixed(math.e), 0),
}

_BINARY: Mapping[type[ast.operator], Callable[[Array, Array], Array]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.true_divide,
    ast.Mod: np.fmod,
    ast.Pow: np.power,
}
_COMPARE: Mapping[type[ast.cmpop], Callable[[Array, Array], Array]] = {
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
}
_ALLOWED = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.Compare,
    ast.Call,
    ast.Name,
    ast.Load,
    ast.And,
    ast.Or,
    ast.USub,
    ast.UAdd,
    ast.Invert,
    *_BINARY,
    *_COMPARE,
)
_SPECIAL = ("Entry$", "Entries$")


class UnknownBranch(InvalidInput):
    """An expression names a branch the trend does not have."""


def split_varexp(text: str) -> list[str]:
    """``"y:x"`` -> ``["y", "x"]``; a ``::`` (``TMath::Sqrt``) does not split."""
    return [part.strip() for part in re.split(r"(?<!:):(?!:)", text)]


@dataclass(frozen=True)
class Expression:
    """A checked expression: its text, tree, and the names it uses."""

    text: str
    tree: ast.Expression
    names: Mapping[str, str]
    numbers: Mapping[str, float]

    @property
    def branches(self) -> set[str]:
        """The branch (column) names the expression reads."""
        called = {
            n.func.id
            for n in ast.walk(self.tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        }
        return {
            split_reference(v)[0]
            for k, v in self.names.items()
            if k not in called and v not in _SPECIAL
        }

    @property
    def references(self) -> set[str]:
        """The names read, with their subscripts (``a.b[0]``)."""
        called = {
            n.func.id
            for n in ast.walk(self.tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        }
        return {v for k, v in self.names.items() if k not in called and v not in _SPECIAL}

    def evaluate(self, columns: Mapping[str, Array], size: int) -> Array:
        """The expression's values for ``size`` entries of ``columns`` (float64, or the text
        column itself when the expression is just a text branch such as ``meta.runNumberStr``):
        one per entry, or per element for array branches (:func:`evaluate_together`)."""
        return evaluate_together([self], columns, size)[0]

    def _values(self, columns: Mapping[str, Array], size: int, draw: _Draw | None) -> Array:
        body = self.tree.body
        if isinstance(body, ast.Name) and self.names.get(body.id) in columns:
            column = np.asarray(columns[self.names[body.id]])
            if column.dtype.kind in "OUS" and not _is_array_column(column):
                return column
        with np.errstate(all="ignore"):
            result = _Evaluator(self, columns, size, draw).value(body)
        return np.broadcast_to(np.asarray(result, dtype=np.float64), (size,)).copy()


def _fail(text: str, why: str) -> InvalidInput:
    shown = text if len(text) <= 80 else text[:77] + "..."
    return InvalidInput(f"expression {shown!r}: {why}")


def _translate(text: str) -> tuple[str, dict[str, str], dict[str, float]]:
    parts: list[str] = []
    names: dict[str, str] = {}
    numbers: dict[str, float] = {}
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise _fail(text, f"unexpected {text[position]!r} at column {position + 1}")
        position = match.end()
        kind, token = match.lastgroup, match.group()
        if kind == "number":
            numbers[f"_k{len(numbers)}"] = float(token)
            parts.append(f" _k{len(numbers) - 1} ")
        elif kind == "name":
            subscripts, position = _subscripts(text, position)
            if subscripts and token in _SPECIAL:
                raise _fail(text, f"{token} takes no subscript")
            token += "".join(f"[{'' if i is None else i}]" for i in subscripts)
            placeholder = next((k for k, v in names.items() if v == token), f"_n{len(names)}")
            names[placeholder] = token
            parts.append(f" {placeholder} ")
        elif kind == "op":
            parts.append(_TRANSLATE.get(token, token))
    return "".join(parts), names, numbers


def _subscripts(text: str, position: int) -> tuple[list[int | None], int]:
    """The ``[i]``/``[]`` subscripts at ``position`` (right after a name) and where they end."""
    found: list[int | None] = []
    while position < len(text) and text[position] == "[":
        match = _SUBSCRIPT.match(text, position)
        if match is None:
            why = f"a subscript at column {position + 1} is not a number or empty ([0] or [])"
            raise _fail(text, why)
        found.append(int(match.group(1)) if match.group(1) else None)
        position = match.end()
    if len(found) > MAX_SUBSCRIPTS:
        raise _fail(text, f"more than {MAX_SUBSCRIPTS} subscripts on one name")
    return found, position


def split_reference(name: str) -> tuple[str, tuple[int | None, ...]]:
    """``"a.b[0][]"`` -> ``("a.b", (0, None))``: the branch and its subscripts (None: ``[]``)."""
    branch, bracket, rest = name.partition("[")
    if not bracket:
        return name, ()
    found = _SUBSCRIPT.findall("[" + rest)
    return branch, tuple(int(i) if i else None for i in found)


def parse_expression(text: str) -> Expression:
    """Check ``text`` and build its tree; :class:`InvalidInput` says what is wrong."""
    if not text.strip():
        raise _fail(text, "empty")
    if len(text) > MAX_LENGTH:
        raise _fail(text, f"longer than {MAX_LENGTH} characters")
    source, names, numbers = _translate(text)
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, RecursionError, MemoryError) as err:
        raise _fail(text, "not a valid expression") from err
    _check(tree, text, names, depth=0)
    return Expression(text, tree, names, numbers)


def parse_varexp(text: str) -> list[Expression]:
    """The expressions of a ``varexp`` (``y:x`` -> two)."""
    return [parse_expression(part) for part in split_varexp(text)]


def _check(node: ast.AST, text: str, names: Mapping[str, str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _fail(text, f"nested deeper than {MAX_DEPTH} levels")
    if not isinstance(node, _ALLOWED):
        raise _fail(text, f"{type(node).__name__} is not allowed")
    if isinstance(node, ast.Call):
        _check_call(node, text, names)
        for arg in node.args:
            _check(arg, text, names, depth + 1)
        return
    for child in ast.iter_child_nodes(node):
        _check(child, text, names, depth + 1)


def _check_call(node: ast.Call, text: str, names: Mapping[str, str]) -> None:
    if not isinstance(node.func, ast.Name) or node.keywords:
        raise _fail(text, "only calls of named functions are allowed")
    name = names.get(node.func.id, "")
    if name not in FUNCTIONS:
        hint = did_you_mean(name, FUNCTIONS)
        raise _fail(text, f"unknown function {name!r}{hint}")
    arity = FUNCTIONS[name][1]
    if len(node.args) != arity or any(isinstance(a, ast.Starred) for a in node.args):
        raise _fail(text, f"{name} takes {arity} argument{'s' if arity != 1 else ''}")


class _Evaluator:
    """Walks a checked tree with numpy."""

    def __init__(
        self, expr: Expression, columns: Mapping[str, Array], size: int, draw: _Draw | None
    ) -> None:
        self.expr = expr
        self.columns = columns
        self.size = size
        #: For array draws: which entry each of the ``size`` values belongs to.
        self.draw = draw

    def value(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](self.value(node.left), self.value(node.right))
        if isinstance(node, ast.UnaryOp):
            return self.unary(node)
        if isinstance(node, ast.BoolOp):
            return self.boolean(node)
        if isinstance(node, ast.Compare):
            result = self.value(node.left)
            for op, right in zip(node.ops, node.comparators, strict=True):
                result = _COMPARE[type(op)](result, self.value(right)).astype(np.float64)
            return result
        assert isinstance(node, ast.Call)
        assert isinstance(node.func, ast.Name)
        function = FUNCTIONS[self.expr.names[node.func.id]][0]
        return function(*(self.value(arg) for arg in node.args))

    def unary(self, node: ast.UnaryOp) -> Any:
        operand = self.value(node.operand)
        if isinstance(node.op, ast.Invert):  # ROOT's "!"
            return np.equal(operand, 0).astype(np.float64)
        return np.negative(operand) if isinstance(node.op, ast.USub) else operand

    def boolean(self, node: ast.BoolOp) -> Any:
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        result = np.not_equal(self.value(node.values[0]), 0)
        for operand in node.values[1:]:
            result = combine(result, np.not_equal(self.value(operand), 0))
        return result.astype(np.float64)

    def name(self, placeholder: str) -> Any:
        if placeholder in self.expr.numbers:
            return np.float64(self.expr.numbers[placeholder])
        name = self.expr.names[placeholder]
        if name == "Entry$":
            if self.draw is not None:
                return self.draw.entry.astype(np.float64)
            return np.arange(self.size, dtype=np.float64)
        if name == "Entries$":
            return np.float64(self.size if self.draw is None else self.draw.entries)
        if name not in self.columns:
            raise _unknown_branch(self.expr.text, split_reference(name)[0], self.columns)
        column = np.asarray(self.columns[name])
        if column.dtype.kind in "OUS":
            raise _fail(self.expr.text, f"branch {name!r} holds text; draw it on its own")
        return column.astype(np.float64)


# -- array branches: TTree::Draw's loop over elements --------------------------------------------


def _is_array_column(column: Array) -> bool:
    """True for a column holding an array per entry (2-D numpy, or objects that are arrays)."""
    if column.ndim >= 2:
        return True
    if column.dtype.kind != "O" or len(column) == 0:
        return False
    first = column[0]
    return not isinstance(first, str | bytes) and np.ndim(first) >= 1


@dataclass(frozen=True)
class _Draw:
    """The values of one joint draw: ``entry[i]`` is the entry the ``i``-th value comes from."""

    entry: Array
    entries: int


class _Element:
    """One reference to an array branch: per entry, the array of what its subscripts leave free
    (0-D for a fixed element; None where a fixed index is past a short array)."""

    def __init__(self, text: str, name: str, column: Array) -> None:
        branch, subscripts = split_reference(name)
        fixed_shape = column.ndim >= 2  # numpy arrays of one shape, not per-entry lists
        self.per_entry: list[Array | None] = []
        for value in column:
            element = np.asarray(value, dtype=np.float64)
            if len(subscripts) > element.ndim:
                why = f"branch {branch!r} has {element.ndim} dimension(s); {name!r} has more"
                raise _fail(text, why)
            wanted = list(subscripts) + [None] * (element.ndim - len(subscripts))
            picked: Array | None = element
            for axis, index in enumerate(wanted):
                if index is not None and index >= element.shape[axis]:
                    if fixed_shape:
                        size = element.shape[axis]
                        raise _fail(text, f"index {index} of {branch!r} is out of range ({size})")
                    picked = None  # a short variable-size array: the entry draws nothing (ROOT)
                    break
            if picked is not None:
                picked = element[tuple(slice(None) if i is None else i for i in wanted)]
            self.per_entry.append(picked)


def _loop_shape(arrays: Sequence[Array]) -> tuple[int, ...]:
    """TTree::Draw's loop for one entry: the k-th free dimension of every array shares one
    index, running to the smallest size among the arrays that have a k-th dimension."""
    depth = max((a.ndim for a in arrays), default=0)
    return tuple(min(a.shape[d] for a in arrays if a.ndim > d) for d in range(depth))


def _spread(array: Array, loop: tuple[int, ...]) -> Array:
    """``array`` cut to ``loop`` and repeated over the loop's further dimensions, flat."""
    cut = array[tuple(slice(0, n) for n in loop[: array.ndim])]
    cut = cut.reshape(cut.shape + (1,) * (len(loop) - array.ndim))
    return np.broadcast_to(cut, loop).ravel()


def _array_references(
    exprs: Sequence[Expression], columns: Mapping[str, Array]
) -> dict[str, _Element]:
    """The references of ``exprs`` to array branches (checking every branch exists)."""
    elements: dict[str, _Element] = {}
    for expr in exprs:
        for name in sorted(expr.references):
            branch, subscripts = split_reference(name)
            if branch not in columns:
                raise _unknown_branch(expr.text, branch, columns)
            column = np.asarray(columns[branch])
            if name in elements:
                continue
            if _is_array_column(column):
                elements[name] = _Element(expr.text, name, column)
            elif subscripts:
                why = f"branch {branch!r} holds one value per entry: {name!r} has no element"
                raise _fail(expr.text, why)
    return elements


def evaluate_together(
    exprs: Sequence[Expression], columns: Mapping[str, Array], size: int
) -> list[Array]:
    """The values of ``exprs`` drawn together, as ``TTree::Draw`` loops over one varexp, its
    selection and errors: one value per entry, or per element where array branches are read
    (the k-th ``[]`` of every name in step, as far as the shortest goes in that entry; values
    with fewer ``[]`` repeat). All results have the same length."""
    elements = _array_references(exprs, columns)
    if not elements:
        return [expr._values(columns, size, None) for expr in exprs]
    counts = np.zeros(size, dtype=np.int64)
    pieces: dict[str, list[Array]] = {name: [] for name in elements}
    for entry in range(size):
        arrays = [e.per_entry[entry] for e in elements.values()]
        if any(a is None for a in arrays):
            continue
        loop = _loop_shape([a for a in arrays if a is not None])
        counts[entry] = math.prod(loop)
        for name, array in zip(elements, arrays, strict=True):
            assert array is not None
            pieces[name].append(_spread(array, loop))
    entry_of = np.repeat(np.arange(size), counts)
    resolved: dict[str, Array] = {
        name: np.concatenate(parts) if parts else np.zeros(0) for name, parts in pieces.items()
    }
    for expr in exprs:
        for name in expr.references:
            if name not in resolved:
                resolved[name] = np.asarray(columns[name])[entry_of]
    draw = _Draw(entry_of, size)
    return [expr._values(resolved, len(entry_of), draw) for expr in exprs]


def _unknown_branch(
    text: str, name: str, columns: Sequence[str] | Mapping[str, Any]
) -> UnknownBranch:
    known = sorted(columns)
    hint = did_you_mean(name, known)
    return UnknownBranch(
        f"expression {text!r}: no branch {name!r}{hint}; the trend has {', '.join(known)}"
    )


def check_branches(expr: Expression, known: Sequence[str]) -> None:
    """Raise :class:`UnknownBranch` if ``expr`` reads a branch not in ``known``."""
    for name in sorted(expr.branches):
        if name not in known:
            raise _unknown_branch(expr.text, name, known)
