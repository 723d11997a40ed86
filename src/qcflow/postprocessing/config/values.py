"""Reading config values the way O2 does, and saying so where O2 would stay silent.

O2 reads its configuration through a Boost property tree: every JSON scalar is a string and each
key is converted when it is read. A read with a default silently returns the default when the
conversion fails (``"number": "abc"`` -> run 0, which means *any run*). qcflow converts the same
way and gets the same value, but records a warning naming the JSON path.

Conversion rules (Boost's stream extraction, surrounding white space allowed):

- booleans: ``true``, ``false``, ``1``, ``0`` -- nothing else (``"True"`` falls back);
- integers: decimal digits with an optional sign, in range of the target type;
- floats: C decimal notation (``1``, ``-0.5``, ``.5``, ``1e-3``);
- an empty string reads as the default without a warning: O2DPG writes ``"number": ""`` on
  purpose to mean "not set".

:class:`Node` wraps one JSON value with its path (``qc.postprocessing.T.plots[0].varexp``) and a
shared :class:`Diagnostics`; every read remembers the key, so :meth:`Node.finish` can warn about
keys nobody read -- with a near-miss hint -- without a separate list of known keys.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from qcflow._hints import did_you_mean
from qcflow.errors import InvalidInput

__all__ = [
    "ConfigInvalid",
    "Diagnostic",
    "Diagnostics",
    "Node",
    "parse_bool",
    "parse_float",
    "parse_int",
    "parse_leading_float",
]

T = TypeVar("T")
# re.ASCII: C's white space and digits, not Unicode's.
_INT = re.compile(r"\s*[+-]?\d+\s*", re.ASCII)
_FLOAT = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*", re.ASCII)
_LEADING_FLOAT = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_INT_LIMIT = 2**63


def parse_bool(text: str) -> bool | None:
    """O2's boolean: ``true``/``false``/``1``/``0`` (white space around is fine), else None."""
    return {"true": True, "1": True, "false": False, "0": False}.get(text.strip())


def parse_int(text: str) -> int | None:
    """A decimal integer that fits 64 bits, else None."""
    if not _INT.fullmatch(text):
        return None
    value = int(text)
    return value if -_INT_LIMIT <= value < _INT_LIMIT else None


def parse_float(text: str) -> float | None:
    """A finite C decimal number, else None."""
    if not _FLOAT.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def parse_leading_float(text: str) -> tuple[float | None, bool]:
    """C++ ``std::stof``: the number at the start of ``text`` (None if there is none), and
    whether it was the whole text (``"19.5."`` -> ``(19.5, False)``)."""
    match = _LEADING_FLOAT.match(text)
    if match is None:
        return None, False
    value = float(match.group(0))
    if not math.isfinite(value):
        return None, False
    return value, not text[match.end() :].strip()


@dataclass(frozen=True)
class Diagnostic:
    """One finding about a config: where (JSON path), what, and how bad."""

    level: str  # "error" | "warning"
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ConfigInvalid(InvalidInput):
    """A config has errors; ``problems`` holds every one (one line each), ``warnings`` the
    warnings found with them (so that a silent O2 fallback is not hidden behind an error)."""

    def __init__(
        self, source: str, problems: Sequence[Diagnostic], warnings: Sequence[Diagnostic] = ()
    ) -> None:
        self.source = source
        self.problems = list(problems)
        self.warnings = list(warnings)
        if len(self.problems) == 1:
            text = f"{source}: {self.problems[0]}"
        else:
            lines = [f"{source}: {len(self.problems)} problems found", *map(str, self.problems)]
            text = "\n  ".join(lines)
        super().__init__(text)


@dataclass
class Diagnostics:
    """Errors and warnings collected while reading a config, in the order found."""

    items: list[Diagnostic] = field(default_factory=list)
    #: Paths created by ``--override-values`` (their unknown-key warnings say so).
    overridden: set[str] = field(default_factory=set)

    def error(self, path: str, message: str) -> None:
        self.items.append(Diagnostic("error", path, message))

    def warn(self, path: str, message: str) -> None:
        if Diagnostic("warning", path, message) not in self.items:
            self.items.append(Diagnostic("warning", path, message))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.level == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.level == "warning"]

    def raise_if_errors(self, source: str) -> None:
        if self.errors:
            raise ConfigInvalid(source, self.errors, self.warnings)


_MISSING: Any = object()


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class Node:
    """A JSON value of the config, read with O2's conversions; reads are remembered."""

    def __init__(self, value: Any, path: str, diagnostics: Diagnostics) -> None:
        self.value = value
        self.path = path
        self.diagnostics = diagnostics
        self._read: set[str] = set()

    # -- structure -------------------------------------------------------------------------------

    @property
    def is_object(self) -> bool:
        return isinstance(self.value, dict)

    def keys(self) -> list[str]:
        return list(self.value) if self.is_object else []

    def has(self, key: str) -> bool:
        self._read.add(key)
        return self.is_object and key in self.value

    def _raw(self, key: str) -> Any:
        self._read.add(key)
        return self.value.get(key, _MISSING) if self.is_object else _MISSING

    def at(self, key: str) -> str:
        """The JSON path of ``key`` under this node."""
        return _join(self.path, key)

    def error(self, key: str | None, message: str) -> None:
        self.diagnostics.error(self.at(key) if key else self.path, message)

    def warn(self, key: str | None, message: str) -> None:
        self.diagnostics.warn(self.at(key) if key else self.path, message)

    def error_from(self, key: str, err: Exception) -> None:
        """Record an exception about ``key`` whose message may already start with its path."""
        where = self.at(key)
        self.diagnostics.error(where, str(err).removeprefix(f"{where}: "))

    def mark_read(self, *keys: str) -> None:
        """Declare keys as known without reading them (accepted and ignored)."""
        self._read.update(keys)

    # -- scalars ---------------------------------------------------------------------------------

    def _scalar(self, key: str) -> str | None:
        raw = self._raw(key)
        if raw is _MISSING:
            return None
        if isinstance(raw, dict | list):
            self.error(key, f"expected a value, found a JSON {_kind(raw)}")
            return None
        return str(raw)

    def text(self, key: str, default: str = "") -> str:
        value = self._scalar(key)
        return default if value is None else value

    def required_text(self, key: str) -> str:
        """A string that must be there and not be empty; an error (and ``""``) otherwise."""
        if self._raw(key) is _MISSING:
            self.error(key, "is required")
            return ""
        value = self._scalar(key)
        if value is not None and not value.strip():
            self.error(key, "must not be empty")
        return value or ""

    def flag(self, key: str, default: bool) -> bool:
        return self._convert(key, default, parse_bool, "a boolean (true, false, 1 or 0)")

    def integer(self, key: str, default: int) -> int:
        return self._convert(key, default, parse_int, "an integer")

    def number(self, key: str, default: float) -> float:
        return self._convert(key, default, parse_float, "a number")

    def _convert(self, key: str, default: T, parse: Callable[[str], T | None], what: str) -> T:
        text = self._scalar(key)
        if text is None or not text.strip():
            return default
        value = parse(text)
        if value is None:
            self.warn(key, f"{text!r} is not {what}; O2 silently uses the default ({default!r})")
            return default
        return value

    def choice(self, key: str, default: str, choices: Sequence[str]) -> str:
        """One of ``choices`` (case-sensitive); anything else is an error."""
        value = self.text(key, default)
        if value not in choices:
            hint = did_you_mean(value, choices)
            self.error(key, f"{value!r} is not one of {', '.join(choices)}{hint}")
            return default
        return value

    # -- containers ------------------------------------------------------------------------------

    def child(self, key: str, *, required: bool = False) -> Node | None:
        """The JSON object under ``key`` as a node (None if absent or not an object; ``null``
        is an empty object, as in O2's property tree: ``"checks": null``)."""
        raw = self._raw(key)
        if raw is _MISSING:
            if required:
                self.error(key, "is required")
            return None
        if _is_null(raw):
            return Node({}, self.at(key), self.diagnostics)
        if not isinstance(raw, dict):
            self.error(key, f"expected a JSON object, found a {_kind(raw)}")
            return None
        return Node(raw, self.at(key), self.diagnostics)

    def items(self, key: str, *, required: bool = False) -> list[Node]:
        """The elements of the JSON array under ``key``, each a node ``key[i]`` (``null``: none)."""
        raw = self._raw(key)
        if raw is _MISSING:
            if required:
                self.error(key, "is required")
            return []
        if _is_null(raw):
            return []
        if not isinstance(raw, list):
            self.error(key, f"expected a JSON array, found a {_kind(raw)}")
            return []
        return [Node(v, f"{self.at(key)}[{i}]", self.diagnostics) for i, v in enumerate(raw)]

    def strings(self, key: str, *, required: bool = False) -> list[str]:
        """A JSON array of scalars as strings (objects inside it are errors)."""
        out = []
        for item in self.items(key, required=required):
            if isinstance(item.value, dict | list):
                item.error(None, f"expected a value, found a JSON {_kind(item.value)}")
            else:
                out.append(str(item.value))
        return out

    def members(self) -> Iterator[tuple[str, Node]]:
        """``(key, node)`` for each member of this JSON object, all marked as read."""
        for key in self.keys():
            self._read.add(key)
            yield key, Node(self.value[key], self.at(key), self.diagnostics)

    def finish(self) -> None:
        """Warn about keys of this object that nothing read, with a near-miss hint."""
        for key in self.keys():
            if key in self._read:
                continue
            path = self.at(key)
            hint = did_you_mean(key, sorted(self._read))
            if path in self.diagnostics.overridden:
                self.diagnostics.warn(path, f"--override-values created an unknown key{hint}")
            else:
                self.diagnostics.warn(path, f"unknown key, ignored{hint}")


def _is_null(value: Any) -> bool:
    # JSON null reaches the tree as the text "null" (O2's property tree reads it so); a section
    # holding it has no children, which O2 reads as an empty section (14 O2DPG configs do this).
    return value is None or value == "null"


def _kind(value: Any) -> str:
    return "object" if isinstance(value, dict) else "array" if isinstance(value, list) else "value"
