"""--override-values, parsed and applied as o2-qc does."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcflow.errors import InvalidInput
from qcflow.postprocessing.config.overrides import apply_overrides, parse_overrides


def o2_tokenize(text: str, delimiter: str) -> list[str]:
    """Reference: std::getline splitting (no empty token after a trailing delimiter), then
    trim and drop empty tokens -- written character by character, as the C++ loop reads."""
    tokens: list[str] = []
    current = ""
    for char in text:
        if char == delimiter:
            tokens.append(current)
            current = ""
        else:
            current += char
    if current:
        tokens.append(current)
    trimmed = (t.strip(" \t\n\r\f\v") for t in tokens)
    return [t for t in trimmed if t]


def o2_parse(text: str) -> list[tuple[str, str]] | None:
    out = []
    for token in o2_tokenize(text, ";"):
        pieces = o2_tokenize(token, "=")
        if len(pieces) not in (1, 2):
            return None
        out.append((pieces[0], pieces[1] if len(pieces) == 2 else ""))
    return out


def test_generator_overrides() -> None:
    text = "qc.config.database.host=ccdb:8080;qc.config.Activity.number=0;qc.config.Activity.periodName=;"
    assert parse_overrides(text) == [
        ("qc.config.database.host", "ccdb:8080"),
        ("qc.config.Activity.number", "0"),
        ("qc.config.Activity.periodName", ""),
    ]


def test_o2_quirks() -> None:
    assert parse_overrides(" a = 1 ;; =v; k==w ;") == [("a", "1"), ("v", ""), ("k", "w")]


def test_two_equal_signs_are_an_error_naming_the_token() -> None:
    with pytest.raises(InvalidInput, match=r"token 'a=b=c' is malformed"):
        parse_overrides("x=1;a=b=c")


@given(st.text(alphabet="ab.=; \t", max_size=30))
def test_parsing_matches_o2s_tokenizer(text: str) -> None:
    expected = o2_parse(text)
    if expected is None:
        with pytest.raises(InvalidInput):
            parse_overrides(text)
    else:
        assert parse_overrides(text) == expected


def test_apply_creates_overwrites_and_reports_new_paths() -> None:
    tree = {"qc": {"config": {"Activity": {"number": "5"}}}}
    created = apply_overrides(
        tree,
        [
            ("qc.config.Activity.number", "0"),
            ("qc.config.Activty.number", "1"),
            ("qc.config.database.host", "h"),
        ],
    )
    assert tree["qc"]["config"] == {
        "Activity": {"number": "0"},
        "Activty": {"number": "1"},
        "database": {"host": "h"},
    }
    assert created == {
        "qc.config.Activty",
        "qc.config.Activty.number",
        "qc.config.database",
        "qc.config.database.host",
    }


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("qc.list.0", "is an array"),
        ("qc.value.x", "is a value, not an object"),
        ("qc", "names an object"),
        ("qc..x", "empty path segment"),
    ],
)
def test_apply_errors(key: str, message: str) -> None:
    tree = {"qc": {"list": ["a"], "value": "v"}}
    with pytest.raises(InvalidInput, match=message):
        apply_overrides(tree, [(key, "1")])
