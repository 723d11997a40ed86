"""Layouts: QCG's JSON "skeleton", validated, stored as versioned JSON objects in the QCDB.

A layout is a named page of tabs, each tab a grid of objects with per-object drawing options
(spec/qcg.md). :func:`validate` checks a skeleton with QCG's rules (``LayoutDto``) and returns
it normalised: defaults filled in, unknown keys and QCG's stored-only keys (``id``, ``owner_id``,
``owner_name``, ``collaborators``) dropped, so export after import gives the same document.

Layouts live in the QCDB itself under :data:`LAYOUT_FOLDER` (``qcflow/ui/layouts/<key>``, the
key being the name with anything but letters, digits, ``-``, ``_`` and ``.`` replaced by ``_``):
every save is a new version (``application/json``, metadata ``layoutName``), so a layout's history
travels with the store; deleting a layout deletes all its versions.
"""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn

from qcflow._types import JSONObject
from qcflow.errors import InvalidInput

__all__ = ["LAYOUT_FOLDER", "LAYOUT_NAME", "layout_key", "layout_path", "validate"]

#: Where layouts are stored (one object path per layout).
LAYOUT_FOLDER = "qcflow/ui/layouts"
#: The metadata key holding a stored layout's name.
LAYOUT_NAME = "layoutName"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def layout_key(name: str) -> str:
    """The path element of a layout named ``name``."""
    return _UNSAFE.sub("_", name.strip()) or "_"


def layout_path(name: str) -> str:
    """``qcflow/ui/layouts/<key>``: where a layout named ``name`` is stored."""
    return f"{LAYOUT_FOLDER}/{layout_key(name)}"


def _fail(where: str, what: str) -> NoReturn:
    msg = f"layout {where}: {what}"
    raise InvalidInput(msg)


def _text(value: Any, where: str, low: int, high: int) -> str:
    if not isinstance(value, str) or not low <= len(value.strip()) <= high:
        _fail(where, f"must be a text of {low}-{high} characters, got {value!r:.60}")
    return value.strip()


def _number(value: Any, where: str, default: float, low: float, high: float) -> int | float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        _fail(where, f"must be a number in [{low:g}, {high:g}], got {value!r:.60}")
    return value


def _flag(value: Any, where: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        _fail(where, f"must be true or false, got {value!r:.60}")
    return value


def _object(raw: Any, where: str) -> JSONObject:
    if not isinstance(raw, dict):
        _fail(where, 'must be an object {"name": ..., "x": ..., ...}')
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        _fail(f"{where}.name", "is required (the object's QCDB path)")
    options = raw.get("options", [])
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        _fail(f"{where}.options", "must be a list of texts")
    out: JSONObject = {"name": name.strip().strip("/")}
    for key in ("x", "y", "w", "h"):
        out[key] = _number(raw.get(key), f"{where}.{key}", 0, 0, 1e6)
    out["options"] = list(options)
    out["autoSize"] = _flag(raw.get("autoSize"), f"{where}.autoSize")
    out["ignoreDefaults"] = _flag(raw.get("ignoreDefaults"), f"{where}.ignoreDefaults")
    return out


def _tab(raw: Any, where: str) -> JSONObject:
    if not isinstance(raw, dict):
        _fail(where, 'must be an object {"name": ..., "objects": [...]}')
    objects = raw.get("objects", [])
    if not isinstance(objects, list) or len(objects) > 30:
        _fail(f"{where}.objects", "must be a list of at most 30 objects")
    return {
        "name": _text(raw.get("name"), f"{where}.name", 1, 10),
        "columns": _number(raw.get("columns"), f"{where}.columns", 2, 1, 5),
        "objects": [_object(o, f"{where}.objects[{i}]") for i, o in enumerate(objects)],
    }


def validate(document: Any) -> JSONObject:
    """The normalised skeleton of ``document`` (a dict or JSON text); InvalidInput naming the
    first problem (``layout tabs[0].name: ...``) otherwise."""
    if isinstance(document, str | bytes):
        try:
            document = json.loads(document)
        except ValueError as err:
            msg = f"layout: not JSON ({err})"
            raise InvalidInput(msg) from err
    if not isinstance(document, dict):
        _fail("document", "must be a JSON object with name and tabs")
    tabs = document.get("tabs")
    if not isinstance(tabs, list) or not 1 <= len(tabs) <= 45:
        _fail("tabs", "must be a list of 1-45 tabs")
    out: JSONObject = {
        "name": _text(document.get("name"), "name", 3, 40),
        "displayTimestamp": _flag(document.get("displayTimestamp"), "displayTimestamp"),
        "autoTabChange": _number(document.get("autoTabChange"), "autoTabChange", 0, 0, 600),
        "tabs": [_tab(t, f"tabs[{i}]") for i, t in enumerate(tabs)],
    }
    description = document.get("description")
    if description is not None:
        out["description"] = _text(description, "description", 0, 100)
    return out
