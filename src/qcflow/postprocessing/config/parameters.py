"""Custom parameters: ``taskParameters`` / ``extendedTaskParameters`` (and the check, aggregator
and reductor equivalents), looked up by run type and beam type as QC does.

Storage is run type -> beam type -> key -> value, all strings. A flat ``taskParameters`` object
goes under ``default``/``default``; ``extendedTaskParameters`` is
``{"<runType>": {"<beamType>": {key: value}}}``, where a value that is itself JSON is kept as its
compact JSON text. :meth:`CustomParameters.get` tries (run type, beam type), (run type,
``default``), (``default``, beam type), (``default``, ``default``), first hit wins.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from qcflow.objects.activity import Activity
from qcflow.postprocessing.config.values import Node, parse_bool, parse_float, parse_int

__all__ = ["DEFAULT", "CustomParameters", "read_extended"]

DEFAULT = "default"


@dataclass(frozen=True)
class CustomParameters:
    """Parameters by run type and beam type; read them with :meth:`get` and friends."""

    table: Mapping[str, Mapping[str, Mapping[str, str]]] = field(default_factory=dict)

    @classmethod
    def flat(cls, values: Mapping[str, str]) -> CustomParameters:
        return cls({DEFAULT: {DEFAULT: dict(values)}})

    @classmethod
    def read(
        cls, node: Node, extended_key: str, flat_key: str, *, merge: bool = False
    ) -> CustomParameters:
        """From a config object. Post-processing tasks read the extended form if present, else
        the flat one; checks and aggregators (``merge=True``) read both, the flat values
        overriding ``default``/``default``."""
        extended = node.child(extended_key)
        table = read_extended(extended) if extended is not None else {}
        if extended is not None and not merge:
            node.mark_read(flat_key)
            return cls(table)
        flat = node.child(flat_key)
        if flat is not None:
            table.setdefault(DEFAULT, {}).setdefault(DEFAULT, {}).update(_flat(flat))
        return cls(table)

    def get(
        self, key: str, activity: Activity | None = None, default: str | None = None
    ) -> str | None:
        """The value for ``key`` under the activity's run and beam type, with fallbacks."""
        run_type = activity.type if activity else DEFAULT
        beam_type = activity.beam_type if activity else DEFAULT
        for run, beam in ((run_type, beam_type), (run_type, DEFAULT), (DEFAULT, beam_type)):
            value = self.table.get(run, {}).get(beam, {}).get(key)
            if value is not None:
                return value
        return self.table.get(DEFAULT, {}).get(DEFAULT, {}).get(key, default)

    def get_float(self, key: str, default: float, activity: Activity | None = None) -> float:
        value = parse_float(self.get(key, activity) or "")
        return default if value is None else value

    def get_int(self, key: str, default: int, activity: Activity | None = None) -> int:
        value = parse_int(self.get(key, activity) or "")
        return default if value is None else value

    def get_bool(self, key: str, default: bool, activity: Activity | None = None) -> bool:
        text = (self.get(key, activity) or "").strip()
        value = parse_bool(text.lower()) if text in ("True", "TRUE", "False", "FALSE") else None
        if value is None:
            value = parse_bool(text)
        return default if value is None else value

    def keys(self) -> set[str]:
        return {k for beams in self.table.values() for values in beams.values() for k in values}


def _text(node: Node) -> str:
    value = node.value
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _flat(node: Node) -> dict[str, str]:
    return {key: _text(child) for key, child in node.members()}


def read_extended(node: Node) -> dict[str, dict[str, dict[str, str]]]:
    """The table of an ``extended…Parameters`` object: run type -> beam type -> key -> value."""
    table: dict[str, dict[str, dict[str, str]]] = {}
    for run_type, beams in node.members():
        if not beams.is_object:
            beams.error(None, "expected {beamType: {key: value}}")
            continue
        table[run_type] = {}
        for beam_type, values in beams.members():
            if not values.is_object:
                values.error(None, "expected {key: value}")
                continue
            table[run_type][beam_type] = _flat(values)
    return table
