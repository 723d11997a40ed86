"""The OpenAPI 3.1 description of the server, served at ``/openapi.json``.

The CCDB grammar puts timestamps, filters and UUIDs in the path, which OpenAPI can only describe
as one free-form ``{rest}`` parameter; the descriptions spell the grammar out.
"""

from __future__ import annotations

from qcflow import __version__
from qcflow._types import JSONObject
from qcflow.qcdb.model import (
    KEEP_CREATED_HEADER,
    KEEP_ID_HEADER,
    KEEP_INITIAL_HEADER,
    KEEP_MODIFIED_HEADER,
)

__all__ = ["openapi"]

_REST = {
    "name": "rest",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "<path>[/<timestamp>[/<validUntil>]][/<key>=<value>...][/<uuid>], "
    "each piece percent-encoded; listings accept patterns ('.*' regex prefix, '%' LIKE)",
}
_TIME_HEADERS = [
    {"name": h, "in": "header", "schema": {"type": "integer"}, "description": d}
    for h, d in (
        ("If-Not-Before", "only objects created at or after this time (ms)"),
        ("If-Not-After", "only objects created at or before this time (ms)"),
    )
]


#: qcflow's extension of POST (``qcflow qcdb copy``); other CCDB servers ignore these headers.
_KEEP_HEADERS = [
    {
        "name": KEEP_ID_HEADER,
        "in": "header",
        "schema": {"type": "string", "format": "uuid"},
        "description": "qcflow extension: store the version under this time-based (version 1) "
        "UUID instead of a new one (409 if a version has it already; then nothing is stored). "
        "Validity is taken as given in the URL (both times needed), not QC's defaults. "
        "Check the answer's ETag: a CCDB ignores the header and assigns a new UUID",
    },
    *(
        {"name": h, "in": "header", "schema": {"type": "integer"}, "description": d}
        for h, d in (
            (KEEP_CREATED_HEADER, "with Qcflow-Id: creation time (ms; default: the UUID's)"),
            (KEEP_INITIAL_HEADER, "with Qcflow-Id: initial end of validity (ms)"),
            (KEEP_MODIFIED_HEADER, "with Qcflow-Id: last change (ms; default: creation)"),
        )
    ),
]


def _op(
    summary: str,
    responses: dict[str, str],
    headers: list[JSONObject] = _TIME_HEADERS,
    **extra: object,
) -> JSONObject:
    op: JSONObject = {
        "summary": summary,
        "parameters": [_REST, *headers],
        "responses": {code: {"description": text} for code, text in responses.items()},
    }
    op.update(extra)
    return op


_BAD = {"400": "malformed URL, timestamp, metadata or upload (one-line reason)"}
_WRITE = {
    **_BAD,
    "401": "token missing",
    "403": "read-only server or wrong token",
    "413": "body over the size limit",
}


def openapi() -> JSONObject:
    """The OpenAPI document."""
    upload = {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"send": {"type": "string", "format": "binary"}},
                    "required": ["send"],
                }
            }
        },
    }
    obj = {
        "get": _op(
            "the object valid at the timestamp (the most recently created match)",
            {
                "200": "content and object headers",
                "303": "redirect to /download/<uuid>",
                "304": "If-None-Match equals the object's UUID",
                "404": "no match",
                **_BAD,
            },
        ),
        "head": _op("object headers only", {"200": "object headers", "404": "no match"}),
        "post": _op(
            "store a new version valid in [validFrom, validUntil)",
            {
                "201": "stored; Location and Content-Location name it",
                **_WRITE,
                "409": "Qcflow-Id names a UUID a version has already",
            },
            headers=_KEEP_HEADERS,
            requestBody=upload,
        ),
        "put": _op(
            "set metadata (?k=v, empty value deletes) and/or a later end of validity",
            {"204": "changed", "304": "nothing changed", "404": "no match", **_WRITE},
        ),
        "delete": _op(
            "delete the resolved object", {"204": "deleted", "404": "no match", **_WRITE}
        ),
        "options": _op("allowed methods", {"200": "Allow header"}),
    }
    paths = {
        "/{rest}": obj,
        "/browse/{rest}": {
            "get": _op(
                "every matching version, newest first",
                {"200": "listing (JSON, XML, HTML, text)", **_BAD},
            )
        },
        "/latest/{rest}": {
            "get": _op(
                "the newest matching version per path",
                {"200": "listing (JSON, XML, HTML, text)", **_BAD},
            )
        },
        "/download/{rest}": {
            "get": _op(
                "an object's content by UUID (Range supported)",
                {
                    "200": "content",
                    "206": "partial content",
                    "304": "If-None-Match equals the UUID",
                    "400": "not a UUID",
                    "404": "unknown UUID",
                    "416": "bad range",
                },
            )
        },
        "/truncate/{rest}": {
            "get": _op(
                "delete every matching version",
                {"204": "deleted (header Deleted: N objects)", "304": "nothing matched", **_WRITE},
            )
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "qcflow QCDB (CCDB REST API)",
            "version": __version__,
            "description": "A CCDB-compatible versioned object store. Times are ms since epoch. "
            "Also MOVE /<path>/<validFrom>/<uuid> with a Destination header (200, 400, 404), "
            "which OpenAPI cannot describe as an operation.",
        },
        "paths": paths,
    }
