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
from qcflow.postprocessing.plotting.expressions import (
    UnknownBranch,
    check_branches,
    evaluate_together,
    parse_expression,
    parse_varexp,
    split_reference,
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
        "a[x]",
        "a['k']",
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
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "<": lambda a, b: float(a < b),
    ">=": lambda a, b: float(a >= b),
    "==": lambda a, b: float(a == b),
    "&&": lambda a, b: float(bool(a) and bool(b)),
    "||": lambda a, b: float(bool(a) or bool(b)),
}

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


# -- array branches: TTree::Draw's subscripts ------------------------------------------------------

ARRAYS: dict[str, Any] = {
    "time": np.array([10, 20, 30], dtype=np.uint32),
    "meta.runNumber": np.array([1, 2, 3], dtype=np.int64),
    # fixed size: a 2-D numpy column (TPC's tempMeanPerSide: A and C side)
    "Temperature.tempMeanPerSide": np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
    # variable size: an object column of arrays (3, 1 and 2 elements)
    "N_Clusters.mean": np.array(
        [np.array([1.0, 2.0, 3.0]), np.array([4.0]), np.array([5.0, 6.0])], dtype=object
    ),
    "Other.values": np.array(
        [np.array([10.0, 20.0]), np.array([30.0, 40.0]), np.array([50.0, 60.0])], dtype=object
    ),
    # 2-D per entry
    "ClusterData.NClusters": np.arange(24, dtype=np.float64).reshape(3, 2, 4),
    "TimeGain.meanGain": np.arange(12, dtype=np.float64).reshape(3, 2, 2) / 10,
}


def draw(*texts: str) -> list[list[float]]:
    exprs = [parse_expression(t) for t in texts]
    return [list(v) for v in evaluate_together(exprs, ARRAYS, 3)]


def test_qc_tpc_subscripts() -> None:
    assert draw("Temperature.tempMeanPerSide[0]", "time") == [[1, 3, 5], [10, 20, 30]]
    assert draw("Temperature.tempMeanPerSide[1]-Temperature.tempMeanPerSide[0]") == [[1, 1, 1]]
    assert draw("N_Clusters.mean[]", "time") == [[1, 2, 3, 4, 5, 6], [10, 10, 10, 20, 30, 30]]
    assert draw("ClusterData.NClusters[0][ ]", "time") == [
        [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19],
        [10] * 4 + [20] * 4 + [30] * 4,
    ]
    assert draw("TimeGain.meanGain[0][0]", "TimeGain.meanGain[1][1]") == [
        [0.0, 0.4, 0.8],
        [0.3, 0.7, 1.1],
    ]


def test_a_bare_array_name_means_every_element() -> None:
    assert draw("N_Clusters.mean") == draw("N_Clusters.mean[]")
    assert draw("Temperature.tempMeanPerSide") == [[1, 2, 3, 4, 5, 6]]


def test_empty_subscripts_run_in_step_over_the_shortest() -> None:
    # per entry min(3, 2), min(1, 2), min(2, 2) elements, across varexp and selection alike
    assert draw("N_Clusters.mean[]", "Other.values[]") == [[1, 2, 4, 5, 6], [10, 20, 30, 50, 60]]
    assert draw("N_Clusters.mean[]+Other.values[]", "Entry$", "Entries$") == [
        [11, 22, 34, 55, 66],
        [0, 0, 1, 2, 2],
        [3] * 5,
    ]
    y, x, cut = draw("N_Clusters.mean[]", "meta.runNumber", "N_Clusters.mean[] > 2.5")
    assert [(a, b) for a, b, c in zip(y, x, cut, strict=True) if c] == [
        (3, 1),
        (4, 2),
        (5, 3),
        (6, 3),
    ]


def test_the_kth_empty_subscript_of_every_name_shares_one_index() -> None:
    """ROOT's ``fMatrix[][] - fVector[]`` is ``fMatrix[i][j] - fVector[i]``, i and j each up
    to the smallest size of their dimension."""
    columns = {
        "m": np.arange(12, dtype=np.float64).reshape(1, 3, 4),  # 3 x 4 per entry
        "v": np.array([[100.0, 200.0]]),
    }  # 2 per entry
    values = evaluate_together([parse_expression("m[][] + v[]")], columns, 1)[0]
    assert list(values) == [100, 101, 102, 103, 204, 205, 206, 207]
    ((first,),) = [evaluate_together([parse_expression("m[][2]-v[]")], columns, 1)]
    assert list(first) == [-98, -194]


def test_a_fixed_index_past_a_short_array_skips_the_entry() -> None:
    assert draw("N_Clusters.mean[2]", "time") == [[3], [10]]
    assert draw("N_Clusters.mean[1]", "Other.values[]") == [[2, 2, 6, 6], [10, 20, 50, 60]]


def test_subscript_mistakes_are_one_line_errors() -> None:
    with pytest.raises(InvalidInput, match=r"index 2 of 'Temperature\.tempMeanPerSide' is out of"):
        draw("Temperature.tempMeanPerSide[2]")
    with pytest.raises(InvalidInput, match="holds one value per entry"):
        draw("time[0]")
    with pytest.raises(InvalidInput, match="has 1 dimension"):
        draw("N_Clusters.mean[0][0]")
    with pytest.raises(UnknownBranch, match=r"no branch 'N_Cluster\.mean'"):
        draw("N_Cluster.mean[0]")
    for text in ("a[x]", "a[-1]", "a[1.5]", "a[0", "Entry$[0]", "a[[0]]", "(a)[0]", "a [0]"):
        with pytest.raises(InvalidInput):
            parse_expression(text)


def test_subscripted_names_are_checked_as_their_branch() -> None:
    expr = parse_expression("ClusterData.NClusters[0][ ]/N_Clusters.mean[]")
    assert expr.branches == {"ClusterData.NClusters", "N_Clusters.mean"}
    assert expr.references == {"ClusterData.NClusters[0][]", "N_Clusters.mean[]"}
    check_branches(expr, list(ARRAYS))
    with pytest.raises(UnknownBranch):
        check_branches(parse_expression("nope[0]"), list(ARRAYS))


_BRANCH = st.from_regex(
    r"[A-Za-z_][A-Za-z0-9_]{0,8}(\.[A-Za-z_][A-Za-z0-9_]{0,8})?", fullmatch=True
)
_SUBSCRIPTS = st.lists(st.one_of(st.none(), st.integers(0, 10**6)), max_size=4)


@given(_BRANCH, _SUBSCRIPTS, st.sampled_from(["", " ", "  "]))
def test_subscripts_parse_to_their_branch_and_indices(
    branch: str, subscripts: list[int | None], space: str
) -> None:
    text = branch + "".join(f"[{space}{'' if i is None else i}{space}]" for i in subscripts)
    expr = parse_expression(f"{text} + 1")
    assert expr.branches == {branch}
    (reference,) = expr.references
    assert split_reference(reference) == (branch, tuple(subscripts))


@given(st.text(alphabet="a[]0 1-x.$()+", max_size=20))
def test_any_bracket_soup_parses_or_is_invalid_input(text: str) -> None:
    try:
        parse_expression(text)
    except InvalidInput:
        pass


@given(st.integers(1, 5), st.integers(1, 4), st.data())
def test_fixed_arrays_against_numpy(rows: int, width: int, data: st.DataObject) -> None:
    column = np.arange(rows * width, dtype=np.float64).reshape(rows, width) * 1.5
    columns = {"a.v": column, "t": np.arange(rows, dtype=np.float64)}
    index = data.draw(st.integers(0, width - 1))
    (element,) = evaluate_together([parse_expression(f"a.v[{index}]")], columns, rows)
    np.testing.assert_array_equal(element, column[:, index])
    every, entry = evaluate_together(
        [parse_expression("a.v[]"), parse_expression("t")], columns, rows
    )
    np.testing.assert_array_equal(every, column.ravel())
    np.testing.assert_array_equal(entry, np.repeat(np.arange(rows), width))
