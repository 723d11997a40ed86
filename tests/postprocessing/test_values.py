"""O2's string conversions, and the warnings where O2 silently falls back to a default."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from qcflow.postprocessing.config.values import (
    Diagnostics,
    Node,
    parse_bool,
    parse_float,
    parse_int,
)


def node(value: object) -> tuple[Node, Diagnostics]:
    diag = Diagnostics()
    return Node(value, "qc.config", diag), diag


def test_booleans_are_exactly_true_false_1_0() -> None:
    assert [parse_bool(t) for t in ("true", " false ", "1", "0")] == [True, False, True, False]
    assert [parse_bool(t) for t in ("True", "yes", "2", "")] == [None] * 4


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1), st.sampled_from(["", " ", "\t"]))
def test_integers_round_trip(value: int, space: str) -> None:
    assert parse_int(f"{space}{value}{space}") == value


@given(st.text(max_size=12))
def test_integer_parse_agrees_with_a_plain_decimal_reading(text: str) -> None:
    expected = int(text) if re.fullmatch(r"\s*[+-]?[0-9]+\s*", text, re.ASCII) else None
    if expected is not None and not -(2**63) <= expected < 2**63:
        expected = None
    assert parse_int(text) == expected


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_round_trip(value: float) -> None:
    assert parse_float(repr(value)) == value


def test_floats_reject_what_a_c_stream_rejects() -> None:
    assert parse_float(".5") == 0.5
    assert parse_float("1e-3") == 0.001
    assert [parse_float(t) for t in ("abc", "1,5", "0x10", "inf", "nan", "1e999")] == [None] * 6


def test_a_bad_value_gives_the_default_and_a_warning_naming_the_path() -> None:
    n, diag = node({"number": "abc", "flag": "True"})
    assert n.integer("number", 0) == 0
    assert n.flag("flag", False) is False
    assert [str(d) for d in diag.warnings] == [
        "qc.config.number: 'abc' is not an integer; O2 silently uses the default (0)",
        (
            "qc.config.flag: 'True' is not a boolean (true, false, 1 or 0); "
            "O2 silently uses the default (False)"
        ),
    ]


def test_an_empty_value_is_the_default_without_warning() -> None:
    n, diag = node({"number": ""})
    assert n.integer("number", 7) == 7
    assert diag.items == []


def test_required_and_structure_errors() -> None:
    n, diag = node({"name": "  ", "list": "x", "obj": []})
    n.required_text("name")
    n.required_text("missing")
    n.items("list")
    n.child("obj")
    assert [str(d) for d in diag.errors] == [
        "qc.config.name: must not be empty",
        "qc.config.missing: is required",
        "qc.config.list: expected a JSON array, found a value",
        "qc.config.obj: expected a JSON object, found a array",
    ]


def test_unknown_keys_are_warned_with_a_near_miss() -> None:
    n, diag = node({"periodName": "x", "pasName": "y", "zzz": "z"})
    n.text("periodName")
    n.text("passName")
    n.finish()
    assert [str(d) for d in diag.warnings] == [
        "qc.config.pasName: unknown key, ignored (did you mean 'passName'?)",
        "qc.config.zzz: unknown key, ignored",
    ]


def test_array_elements_have_indexed_paths() -> None:
    n, diag = node({"names": ["a", {"b": 1}]})
    assert n.strings("names") == ["a"]
    assert [str(d) for d in diag.errors] == [
        "qc.config.names[1]: expected a value, found a JSON object"
    ]
