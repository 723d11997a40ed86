"""The registry of post-processing workflows (qcflow.generators.registry)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcflow.errors import InvalidInput
from qcflow.generators.registry import DEFAULT_REGISTRY, load_registry

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
    assert str(info.value) == (
        f"registry {path}: "
        "workflow[0] (A): unknown key 'period-specifc' (did you mean 'period-specific'?)"
    )


def test_a_missing_key_without_a_near_miss_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("pass-specific = true\n", "colour = 1\n"))
    with pytest.raises(InvalidInput) as info:
        load_registry(path)
    text = str(info.value)
    assert text.startswith(f"registry {path}: 2 problems")
    assert "workflow[0] (A): unknown key 'colour'" in text
    assert "workflow[0] (A): missing key 'pass-specific'" in text


@pytest.mark.parametrize("name", ["a b", "x/y", "it's", "$HOME"])
def test_a_name_that_cannot_name_a_log_file_is_refused(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, GOOD.replace('"A"', json.dumps(name)))
    with pytest.raises(InvalidInput, match="'name' may hold only letters, digits"):
        load_registry(path)


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


def test_an_unknown_key_is_named_as_written(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("run-specific", "run_specifc"))
    with pytest.raises(InvalidInput, match=r"unknown key 'run_specifc' \(did you mean 'run-spec"):
        load_registry(path)


def test_a_misspelt_table_is_one_problem(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("[[workflow]]", "[[workflows]]"))
    with pytest.raises(InvalidInput) as info:
        load_registry(path)
    assert str(info.value) == (
        f"registry {path}: unknown top-level key 'workflows' (did you mean 'workflow'?)"
    )


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


def data_sources(config: dict[str, Any]) -> set[tuple[str, ...]]:
    """Every (section, id, type, path, object names) a config reads, checks included."""
    found = set()
    for section in ("postprocessing", "checks"):
        for ident, item in config["qc"].get(section, {}).items():
            for source in item.get("dataSources", item.get("dataSource", [])):
                names = source.get("names", source.get("MOs", source.get("name")))
                found.add((section, ident, source.get("type"), source.get("path"), repr(names)))
    return found


def test_the_default_configs_read_what_o2dpgs_read(reference_configs: Path) -> None:
    """qcflow's own configs: O2DPG's tasks, checks, data sources and object names."""
    entries = load_registry()
    for entry in entries:
        own = json.loads((DEFAULT_REGISTRY.parent / entry.config).read_text())
        original = reference_configs / Path(entry.o2_config).name
        reference = json.loads(original.read_text())
        for section in ("postprocessing", "checks", "aggregators"):
            assert own["qc"].get(section, {}).keys() == reference["qc"].get(section, {}).keys()
        assert data_sources(own) == data_sources(reference), entry.name
        assert entry.o2_config.startswith("json://${O2DPG_ROOT}/DATA/production/qc-postproc-async/")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
entry_keys = st.sampled_from(
    ["name", "config", "needs", "run-specific", "period_specific", "pass-specific", "o2-config"]
)


@given(st.lists(st.dictionaries(entry_keys | st.text(max_size=6), json_values), max_size=3))
def test_any_registry_loads_or_is_refused_cleanly(rows: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "reg.json"
        path.write_text(json.dumps({"workflow": rows}))
        try:
            entries = load_registry(path)
        except InvalidInput as err:
            assert str(err).startswith(f"registry {path}: ")  # noqa: PT017
        else:
            assert [e.name for e in entries] == [row["name"] for row in rows]
