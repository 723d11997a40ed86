"""The safe expression engine: ROOT syntax over numpy columns, and attempts to escape it."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcflow.errors import InvalidInput
from qcflow.postprocessing.expressions import (
    UnknownBranch,
    check_branches,
    parse_expression,
    parse_varexp,
    split_varexp,
)

COLUMNS = {
    "vertex_X.mean": np.array([0.1, -0.2, 0.3]),
    "vertex_X.stddev": np.array([1.0, 2.0, 3.0]),
    "vertex_X.entries": np.array([4.0, 16.0, 0.0]),
    "meta.runNumber": np.array([500001, 500002, 500003], dtype=np.int64),
    "time": np.array([10, 20, 30], dtype=np.uint32),
    "meta.runNumberStr": np.array(["500001", "500002", "500003"], dtype=object),
}


def ev(text: str) -> np.ndarray:
    return parse_expression(text).evaluate(COLUMNS, 3)


def test_o2dpg_error_expression() -> None:
    with np.errstate(divide="ignore"):
        expected = COLUMNS["vertex_X.stddev"] / np.sqrt(COLUMNS["vertex_X.entries"])
    np.testing.assert_array_equal(ev("vertex_X.stddev/pow(vertex_X.entries,0.5)"), expected)
    np.testing.assert_array_equal(ev("vertex_X.stddev/TMath::Sqrt(vertex_X.entries)"), expected)


def test_c_semantics() -> None:
    np.testing.assert_array_equal(ev("!0 == 1"), [1, 1, 1])  # ! binds tighter than ==
    np.testing.assert_array_equal(ev("3 < 2 < 1"), [1, 1, 1])  # (3<2)<1 = 0<1, no chaining
    np.testing.assert_array_equal(ev("-7 % 3"), [-1, -1, -1])  # fmod, as C
    np.testing.assert_array_equal(ev("2^3^2"), [512, 512, 512])
    np.testing.assert_array_equal(ev("time > 15 && meta.runNumber != 500003 || 0"), [0, 1, 0])
    np.testing.assert_array_equal(ev("time = 20"), [0, 1, 0])
    np.testing.assert_array_equal(ev("Entry$ * 10 + Entries$"), [3, 13, 23])
    assert ev("TMath::Pi()")[0] == pytest.approx(math.pi)


def test_overflow_and_division_give_ieee_values_not_errors() -> None:
    assert np.isinf(ev("9^9^9")).all()
    assert np.isinf(ev("1e999")).all()
    assert np.isinf(ev("vertex_X.stddev/vertex_X.entries")[2])


def test_text_columns_only_on_their_own() -> None:
    assert list(ev("meta.runNumberStr")) == ["500001", "500002", "500003"]
    with pytest.raises(InvalidInput, match="holds text"):
        ev("meta.runNumberStr + 1")


def test_varexp_splits_on_single_colons() -> None:
    assert split_varexp("TMath::Sqrt(a.b):time") == ["TMath::Sqrt(a.b)", "time"]
    assert [e.text for e in parse_varexp("y : x")] == ["y", "x"]
    assert parse_varexp("a.mean/b.entries:time")[0].branches == {"a.mean", "b.entries"}


def test_a_missing_branch_is_one_line_with_close_names() -> None:
    with pytest.raises(UnknownBranch) as caught:
        parse_varexp("vertex_X.maen:time")[0].evaluate(COLUMNS, 3)
    message = str(caught.value)
    assert "no branch 'vertex_X.maen' (did you mean 'vertex_X.mean'?)" in message
    assert "\n" not in message
    with pytest.raises(UnknownBranch, match=r"vertex_Y\.mean"):
        check_branches(parse_expression("vertex_Y.mean"), list(COLUMNS))


@pytest.mark.parametrize(
    "attempt",
    [
        "__import__('os').system('true')",
        "().__class__.__bases__",
        "a.__class__",
        "(lambda: 1)()",
        "[x for x in y]",
        "{1: 2}",
        "open('/etc/passwd')",
        "eval(1)",
        "exec(1)",
        "getattr(a, 1)",
        "a if b else c",
        "f(*x)",
        "sqrt(**x)",
        "a[0]",
        "a;b",
        "`ls`",
        "x @ y",
        "(1, 2)",
        "'text'",
        "\\x41",
        "(" * 500 + "1" + ")" * 500,
        "-" * 3000 + "1",
        "1" * 5000,
    ],
)
def test_escape_attempts_are_refused(attempt: str) -> None:
    with pytest.raises(InvalidInput):
        ev(attempt)


def test_functions_must_be_in_the_table() -> None:
    with pytest.raises(InvalidInput, match=r"unknown function 'sqr' \(did you mean 'sqrt'\?\)"):
        ev("sqr(1)")
    with pytest.raises(InvalidInput, match="pow takes 2 arguments"):
        ev("pow(1)")


# -- property: random expression trees, evaluated independently ---------------------------------

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "<": lambda a, b: float(a < b), ">=": lambda a, b: float(a >= b),
    "==": lambda a, b: float(a == b),
    "&&": lambda a, b: float(bool(a) and bool(b)), "||": lambda a, b: float(bool(a) or bool(b)),
}  # fmt: skip

leaves = st.one_of(
    st.integers(0, 9).map(lambda v: (str(v), float(v))),
    st.sampled_from([("time", 20.0), ("vertex_X.stddev", 2.0)]),
)


def _combine(
    children: st.SearchStrategy[tuple[str, float]],
) -> st.SearchStrategy[tuple[str, float]]:
    def binary(a: tuple[str, float], op: str, b: tuple[str, float]) -> tuple[str, float]:
        try:
            value = _OPS[op](a[1], b[1])
        except ZeroDivisionError:
            sign = math.copysign(1.0, a[1]) * math.copysign(1.0, b[1])  # IEEE: 1/-0 = -inf
            value = sign * math.inf if a[1] and not math.isnan(a[1]) else math.nan
        return f"({a[0]} {op} {b[0]})", value

    def unary(a: tuple[str, float], op: str) -> tuple[str, float]:
        return (f"-({a[0]})", -a[1]) if op == "-" else (f"!({a[0]})", float(not a[1]))

    return st.one_of(
        st.builds(binary, children, st.sampled_from(list(_OPS)), children),
        st.builds(unary, children, st.sampled_from(["-", "!"])),
        st.builds(lambda a: (f"sqrt(abs({a[0]}))", math.sqrt(abs(a[1]))), children),
    )


@given(st.recursive(leaves, _combine, max_leaves=12))
def test_random_expressions_match_an_independent_evaluation(case: tuple[str, float]) -> None:
    text, expected = case
    result = ev(text)[1]  # the second entry: time == 20, vertex_X.stddev == 2
    if math.isnan(expected):
        assert math.isnan(result)
    else:
        assert result == pytest.approx(expected)
