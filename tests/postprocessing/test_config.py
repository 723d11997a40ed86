"""Loading configs: json:// URIs, ${VAR}, comment keys, syntax errors with line and column."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcflow.errors import InvalidInput
from qcflow.postprocessing.config.loader import config_path, load_config, parse_config_text
from qcflow.postprocessing.config.values import ConfigInvalid

TEXT = """{
  "qc": {
    "config": { "": "first comment", "": "second comment",
      "Activity": { "number": 42, "passName": "${PASS}", "flag": true, "none": null },
      "ratio": 0.10
    },
    "config": { "ignored": "1" }
  }
}"""


def test_scalars_become_strings_with_their_spelling() -> None:
    config = parse_config_text(TEXT, "t.json", {"PASS": "apass1"})
    activity = config.tree["qc"]["config"]["Activity"]
    assert activity == {"number": "42", "passName": "apass1", "flag": "true", "none": "null"}
    assert config.tree["qc"]["config"]["ratio"] == "0.10"


def test_comment_keys_are_dropped_and_a_repeated_key_keeps_its_first_value() -> None:
    config = parse_config_text(TEXT, "t.json", {"PASS": "p"})
    assert "" not in config.tree["qc"]["config"]
    assert "ignored" not in config.tree["qc"]["config"]
    assert [str(w) for w in config.warnings] == [
        "qc.config: key given twice; the first value is used"
    ]


def test_an_undefined_variable_in_a_value_names_its_json_path() -> None:
    with pytest.raises(
        ConfigInvalid, match=r"qc\.config\.Activity\.passName: .*\$\{PASS\} is not set"
    ):
        parse_config_text(TEXT, "t.json", {})


def test_a_syntax_error_gives_file_line_and_column() -> None:
    with pytest.raises(InvalidInput, match=r"^bad\.json:3:5: not valid JSON"):
        parse_config_text('{\n "a": 1,\n    }', "bad.json")


def test_a_config_must_be_an_object() -> None:
    with pytest.raises(InvalidInput, match="a QC configuration is a JSON object, found list"):
        parse_config_text("[1]", "x.json")


def test_uri_forms(tmp_path: Path) -> None:
    file = tmp_path / "c.json"
    file.write_text(json.dumps({"qc": {}}))
    env = {"DIR": str(tmp_path)}
    assert config_path("json://${DIR}/c.json", env) == file
    assert config_path(str(file), env) == file
    assert load_config(f"json://{file}").tree == {"qc": {}}


def test_uri_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"\$\{NOPE\} is not set"):
        config_path("json://${NOPE}/x.json", {})
    with pytest.raises(InvalidInput, match="consul:// back-end is not supported"):
        config_path("consul://host/x", {})
    with pytest.raises(InvalidInput, match="cannot read"):
        load_config(str(tmp_path / "missing.json"))
    binary = tmp_path / "b.json"
    binary.write_bytes(b"\xff\xfe{}")
    with pytest.raises(InvalidInput, match="not UTF-8"):
        load_config(str(binary))


@pytest.mark.shared
def test_every_reference_config_loads(reference_configs: Path) -> None:
    for path in sorted(reference_configs.glob("*.json")):
        config = load_config(f"json://{path}")
        assert "qc" in config.tree
        assert config.warnings == []


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=12,
)


def as_o2(value: object) -> object:
    """What O2's property tree makes of a JSON value: strings everywhere, comments dropped."""
    if isinstance(value, dict):
        return {k: as_o2(v) for k, v in value.items() if k != ""}
    if isinstance(value, list):
        return [as_o2(v) for v in value]
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, int | float) else value


@given(st.dictionaries(st.text(max_size=6), json_values, max_size=4))
def test_any_json_object_loads_as_strings(document: dict[str, object]) -> None:
    text = json.dumps(document)
    assert parse_config_text(text, "x.json", {}).tree == as_o2(document)
