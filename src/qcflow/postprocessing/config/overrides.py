"""``--override-values "k=v;k2=v2"``: parsed and applied exactly as ``o2-qc`` does.

Parsing (O2's ``parseOverrideValues`` over ``Str::tokenize`` with trimming and skipping empty
tokens): split on ``;``, trim, drop empty tokens (so a trailing ``;`` is fine); split each token
on ``=`` the same way and keep the non-empty pieces:

- one piece: ``k=`` -> ``(k, "")`` -- and, an O2 quirk kept on purpose, ``=v`` -> ``(v, "")``;
- two pieces: ``k=v`` -> ``(k, v)`` (also ``k==v``, whose empty middle piece is dropped);
- more: an error (``a=b=c``).

Applying (``ptree::put``): keys are ``.``-separated paths from the root of the config; missing
objects on the way are created, an existing value is overwritten, values are stored as strings.
Arrays cannot be addressed. Nothing in O2 checks that a key exists -- a typo silently creates a
node. qcflow applies the same edit and remembers which paths it created, so that the schema's
unknown-key warning can say "--override-values created an unknown key (did you mean …?)".
Where O2 would replace a whole JSON object by a string (ptree keeps the children and sets the
node's own value, something JSON cannot express), qcflow refuses with an error.
"""

from __future__ import annotations

from qcflow._types import JSONObject
from qcflow.errors import InvalidInput

__all__ = ["apply_overrides", "parse_overrides", "tokenize"]


def tokenize(text: str, delimiter: str) -> list[str]:
    """O2's ``Str::tokenize(text, delimiter, trim=true, skipEmpty=true)``."""
    pieces = (piece.strip() for piece in text.split(delimiter))
    return [piece for piece in pieces if piece]


def parse_overrides(text: str) -> list[tuple[str, str]]:
    """The ``(key, value)`` pairs of an ``--override-values`` argument, in order."""
    pairs: list[tuple[str, str]] = []
    for token in tokenize(text, ";"):
        pieces = tokenize(token, "=")
        if len(pieces) == 1:
            pairs.append((pieces[0], ""))
        elif len(pieces) == 2:
            pairs.append((pieces[0], pieces[1]))
        else:
            msg = f"--override-values: token {token!r} is malformed, use key=value"
            raise InvalidInput(msg)
    return pairs


def apply_overrides(tree: JSONObject, pairs: list[tuple[str, str]]) -> set[str]:
    """Apply ``pairs`` to ``tree`` in place; return the JSON paths that did not exist before."""
    created: set[str] = set()
    for key, value in pairs:
        segments = key.split(".")
        if any(not s for s in segments):
            msg = f"--override-values: key {key!r} has an empty path segment"
            raise InvalidInput(msg)
        node = tree
        for depth, segment in enumerate(segments[:-1]):
            node = _descend(node, segment, ".".join(segments[: depth + 1]), key, created)
        last = segments[-1]
        if isinstance(node.get(last), dict | list):
            what = "an object" if isinstance(node[last], dict) else "an array"
            msg = f"--override-values: key {key!r} names {what}, not a value"
            raise InvalidInput(msg)
        if last not in node:
            created.add(key)
        node[last] = value
    return created


def _descend(node: JSONObject, segment: str, path: str, key: str, created: set[str]) -> JSONObject:
    child = node.get(segment)
    if child is None:
        child = node[segment] = {}
        created.add(path)
    elif isinstance(child, list):
        msg = f"--override-values: key {key!r}: {path} is an array; arrays cannot be overridden"
        raise InvalidInput(msg)
    elif not isinstance(child, dict):
        msg = f"--override-values: key {key!r}: {path} is a value, not an object"
        raise InvalidInput(msg)
    return child
