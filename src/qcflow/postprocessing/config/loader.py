"""Loading an ``o2-qc`` configuration: ``json://`` URIs and paths, ``${VAR}``, comment keys.

``load_config("json://${O2DPG_ROOT}/DATA/production/qc-postproc-async/example.json")``:

1. the URI: a ``json://`` prefix is dropped (O2's other back-ends, ``consul://``, ``ini://``,
   ``yaml://``, are refused with a message); ``${VAR}`` is expanded from the environment, and an
   undefined variable is an error that names it;
2. the JSON: a syntax error is reported as ``file:line:column``; keys named ``""`` are comments
   and an object may hold several of them (as O2DPG's configs do), so they are dropped; a real
   key given twice keeps its first value, as O2 reads it, with a warning;
3. the values: every scalar becomes a string, as in O2's property tree (``true`` -> ``"true"``,
   ``0.1`` -> ``"0.1"`` with its original spelling, ``null`` -> ``"null"``); ``${VAR}`` inside
   string values is expanded too (qcflow's addition; undefined -> an error with the JSON path).

The result is a plain tree of ``dict``/``list``/``str`` that :mod:`.overrides` edits and
:mod:`.schema` reads.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qcflow._types import JSONObject
from qcflow.errors import InvalidInput
from qcflow.postprocessing.config.values import ConfigInvalid, Diagnostic

__all__ = ["ConfigFile", "config_path", "expand_variables", "load_config", "parse_config_text"]

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_OTHER_BACKENDS = ("consul://", "consul-json://", "consul-ini://", "ini://", "yaml://", "file://")


@dataclass
class ConfigFile:
    """A loaded config: where it came from, its tree (strings only), and load-time warnings."""

    source: str
    tree: JSONObject
    warnings: list[Diagnostic] = field(default_factory=list)


def expand_variables(text: str, env: Mapping[str, str], where: str) -> str:
    """Replace each ``${NAME}`` with its value; an undefined one is :class:`InvalidInput`."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            msg = f"{where}: environment variable ${{{name}}} is not set"
            raise InvalidInput(msg)
        return env[name]

    return _VARIABLE.sub(value, text)


def config_path(uri: str, env: Mapping[str, str] | None = None) -> Path:
    """The file a ``--config`` argument names (``json://PATH`` or a plain path)."""
    environment = os.environ if env is None else env
    text = uri.strip()
    if not text:
        msg = "--config: empty configuration URI"
        raise InvalidInput(msg)
    if text.startswith("json://"):
        text = text[len("json://") :]
    elif text.startswith(_OTHER_BACKENDS):
        scheme = text.split("://", 1)[0]
        msg = f"--config {uri}: the {scheme}:// back-end is not supported; use json://PATH or PATH"
        raise InvalidInput(msg)
    return Path(expand_variables(text, environment, f"--config {uri}")).expanduser()


class _Object(dict[str, Any]):
    """A JSON object that remembers the real keys it saw more than once."""

    duplicates: list[str]


def _pairs(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    obj.duplicates = []
    for key, value in pairs:
        if key == "":
            continue  # a comment
        if key in obj:
            obj.duplicates.append(key)
            continue
        obj[key] = value
    return obj


def _scalar(value: Any) -> Any:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    return value


def _normalise(value: Any, path: str, env: Mapping[str, str], found: list[Diagnostic]) -> Any:
    """Strings everywhere, variables expanded, duplicate keys reported with their path."""
    if isinstance(value, dict):
        for key in getattr(value, "duplicates", []):
            where = f"{path}.{key}" if path else key
            found.append(Diagnostic("warning", where, "key given twice; the first value is used"))
        return {
            k: _normalise(v, f"{path}.{k}" if path else k, env, found) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_normalise(v, f"{path}[{i}]", env, found) for i, v in enumerate(value)]
    value = _scalar(value)
    if isinstance(value, str) and "${" in value:
        try:
            return expand_variables(value, env, path)
        except InvalidInput as err:
            found.append(Diagnostic("error", path, str(err).removeprefix(f"{path}: ")))
    return value


def parse_config_text(text: str, source: str, env: Mapping[str, str] | None = None) -> ConfigFile:
    """Parse a config's JSON text; ``source`` names it in messages."""
    try:
        raw = json.loads(
            text, object_pairs_hook=_pairs, parse_float=str, parse_int=str, parse_constant=str
        )
    except json.JSONDecodeError as err:
        msg = f"{source}:{err.lineno}:{err.colno}: not valid JSON: {err.msg}"
        raise InvalidInput(msg) from err
    if not isinstance(raw, dict):
        msg = f"{source}: a QC configuration is a JSON object, found {type(raw).__name__}"
        raise InvalidInput(msg)
    found: list[Diagnostic] = []
    tree = _normalise(raw, "", os.environ if env is None else env, found)
    errors = [d for d in found if d.level == "error"]
    if errors:
        raise ConfigInvalid(source, errors)
    return ConfigFile(source, tree, found)


def load_config(uri: str, env: Mapping[str, str] | None = None) -> ConfigFile:
    """Read the config a ``--config`` argument names."""
    path = config_path(uri, env)
    try:
        data = path.read_bytes()
    except OSError as err:
        msg = f"--config {uri}: cannot read {path}: {err.strerror or err}"
        raise InvalidInput(msg) from err
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        msg = f"{path}: not UTF-8 text (byte {err.start})"
        raise InvalidInput(msg) from err
    return parse_config_text(text, str(path), env)
