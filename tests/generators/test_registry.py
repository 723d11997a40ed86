"""The registry of post-processing workflows (qcflow.generators.registry)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qcflow.errors import InvalidInput
from qcflow.generators.registry import load_registry

GOOD = """
[[workflow]]
name = "A"
config = "a.json"
run-specific = false
period-specific = true
pass-specific = true
"""


def write(tmp_path: Path, text: str, name: str = "reg.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_typo_is_named_with_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("period-specific", "period-specifc"))
    with pytest.raises(InvalidInput) as info:
        load_registry(path)
    text = str(info.value)
    assert str(path) in text
    assert "workflow[0] (A): unknown key 'period-specifc' (did you mean 'period-specific'?)" in text
    assert "workflow[0] (A): missing key 'period-specific'" in text


def test_every_problem_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        GOOD
        + GOOD.replace('"A"', '"B"')
        .replace("true", "1")
        .replace('config = "a.json"', 'config = "a.json"\nneeds = ["Q"]')
        + "[extra]\nx = 1\n",
    )
    with pytest.raises(InvalidInput) as info:
        load_registry(path)
    text = str(info.value)
    assert "unknown top-level key 'extra'" in text
    assert "workflow[1] (B): 'period-specific' must be true or false, got 1" in text
    assert "workflow[1] (B): 'pass-specific' must be true or false, got 1" in text


def test_unknown_need_and_duplicates(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        GOOD
        + GOOD
        + GOOD.replace('"A"', '"C"').replace(
            'config = "a.json"', 'config = "a.json"\nneeds = ["a"]'
        ),
    )
    with pytest.raises(InvalidInput) as info:
        load_registry(path)
    text = str(info.value)
    assert "entry name 'A' is used more than once" in text
    assert "workflow 'C': needs unknown entry 'a' (did you mean 'A'?)" in text


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("reg.toml", "[[workflow]\nname=", "not valid TOML"),
        ("reg.json", "{", "not valid JSON"),
        ("reg.toml", "", "'workflow' must be a non-empty list"),
        ("reg.json", "[1]", "must hold a 'workflow' list"),
    ],
)
def test_syntax_errors(tmp_path: Path, name: str, text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        load_registry(write(tmp_path, text, name))


def test_json_registry_and_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '{"workflow": [{"name": "A", "config": "a.json", "run_specific": true,'
        ' "period_specific": false, "pass_specific": false}]}',
        "reg.json",
    )
    (entry,) = load_registry(path)
    assert entry.o2_config == "a.json"
    assert entry.needs == ()
    assert entry.run_specific
    assert entry.registry == path
