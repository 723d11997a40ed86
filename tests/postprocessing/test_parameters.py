"""Custom parameters with QC's run type / beam type fallbacks."""

from __future__ import annotations

from qcflow.objects.activity import Activity
from qcflow.postprocessing.config.parameters import CustomParameters
from qcflow.postprocessing.config.values import Diagnostics, Node

CONFIG = {
    "extendedTaskParameters": {
        "default": {"default": {"a": "1", "b": "2", "c": "3"}, "PbPb": {"b": "20"}},
        "PHYSICS": {"default": {"a": "10"}, "PbPb": {"a": "100", "json": {"k": [1, 2]}}},
    },
    "taskParameters": {"a": "ignored when the extended form is there"},
}


def parameters(config: dict[str, object], merge: bool = False) -> CustomParameters:
    node = Node(config, "qc.postprocessing.T", Diagnostics())
    return CustomParameters.read(node, "extendedTaskParameters", "taskParameters", merge=merge)


def test_lookup_order() -> None:
    p = parameters(CONFIG)
    physics_pbpb = Activity(type="PHYSICS", beam_type="PbPb")
    assert p.get("a", physics_pbpb) == "100"  # (run type, beam type)
    assert p.get("a", Activity(type="PHYSICS", beam_type="pp")) == "10"  # (run type, default)
    assert p.get("b", Activity(type="COSMICS", beam_type="PbPb")) == "20"  # (default, beam)
    assert p.get("c", physics_pbpb) == "3"  # (default, default)
    assert p.get("d", physics_pbpb, "x") == "x"
    assert p.get("json", physics_pbpb) == '{"k":[1,2]}'


def test_flat_parameters_and_conversions() -> None:
    p = parameters({"taskParameters": {"n": "600", "f": "0.5", "b": "True", "bad": "x"}})
    assert p.get_int("n", 0) == 600
    assert p.get_float("f", 0.0) == 0.5
    assert p.get_bool("b", False) is True
    assert p.get_int("bad", 7) == 7


def test_checks_read_both_forms_flat_winning() -> None:
    p = parameters(CONFIG, merge=True)
    assert p.get("a") == "ignored when the extended form is there"
    assert p.get("b") == "2"
