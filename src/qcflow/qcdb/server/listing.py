"""Listings of ``/browse`` and ``/latest`` in the four formats a CCDB serves.

- ``application/json``: ``{"objects": [...], "subfolders": [...]}``, each entry in both key styles
  (:func:`~qcflow.qcdb.model.to_listing_entry`), optionally cut to ``X-Filter-Fields``;
- ``text/xml``: ``<objects>`` with one ``<object>`` element per version;
- ``text/html``: a table for people, linking each version to its ``/download`` URL;
- ``text/plain`` (the default): one text block per version, then ``Subfolders:`` lines.

:func:`negotiate` picks the format from ``Accept`` (case-insensitive; QC sends
``Application/JSON``) or the ``?Accept=`` query parameter.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from xml.sax.saxutils import quoteattr

from qcflow.qcdb.model import ObjectInfo, http_date, to_listing_entry

__all__ = ["FORMATS", "negotiate", "render"]

#: Format name -> content type of the response.
FORMATS = {
    "json": "application/json",
    "xml": "text/xml; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "text": "text/plain; charset=utf-8",
}
_ACCEPTED = (("json", "json"), ("xml", "xml"), ("html", "html"))


def negotiate(accept: str | None) -> str:
    """The listing format a client asked for; ``text`` when it named none we serve."""
    wanted = (accept or "").lower()
    for needle, fmt in _ACCEPTED:
        if needle in wanted:
            return fmt
    return "text"


def render(
    objects: Sequence[ObjectInfo],
    subfolders: Sequence[str],
    fmt: str,
    *,
    fields: Sequence[str] = (),
) -> bytes:
    """The listing body in format ``fmt`` (a key of :data:`FORMATS`)."""
    if fmt == "json":
        return _json(objects, subfolders, fields)
    if fmt == "xml":
        return _xml(objects, subfolders)
    if fmt == "html":
        return _html(objects, subfolders)
    return _text(objects, subfolders)


def _json(objects: Sequence[ObjectInfo], subfolders: Sequence[str], fields: Sequence[str]) -> bytes:
    entries = [to_listing_entry(o) for o in objects]
    if fields:
        entries = [{k: e[k] for k in fields if k in e} for e in entries]
    body = {"objects": entries, "subfolders": list(subfolders)}
    return json.dumps(body, separators=(",", ":")).encode()


def _xml(objects: Sequence[ObjectInfo], subfolders: Sequence[str]) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<objects>"]
    for info in objects:
        attrs = {
            "id": info.id,
            "path": info.path,
            "validFrom": info.valid_from,
            "validUntil": info.valid_until,
            "initialValidity": info.initial_valid_until,
            "created": info.created,
            "lastModified": info.last_modified,
            "md5": info.md5,
            "fileName": info.file_name,
            "contentType": info.content_type,
            "size": info.size,
        }
        text = " ".join(f"{k}={quoteattr(str(v))}" for k, v in attrs.items() if v is not None)
        lines.append(f"  <object {text}>")
        for key, value in info.metadata.items():
            lines.append(f"    <metadata key={quoteattr(key)} value={quoteattr(value)}/>")
        lines.append(f"    <replica addr={quoteattr(info.download_url)}/>")
        lines.append("  </object>")
    lines += [f"  <folder name={quoteattr(f)}/>" for f in subfolders]
    lines.append("</objects>")
    return ("\n".join(lines) + "\n").encode()


def _html(objects: Sequence[ObjectInfo], subfolders: Sequence[str]) -> bytes:
    esc = html.escape
    rows = []
    for info in objects:
        meta = "<br>".join(f"{esc(k)}={esc(v)}" for k, v in info.metadata.items())
        rows.append(
            f"<tr><td>{esc(info.path)}</td>"
            f"<td><a href='{esc(info.download_url)}'>{esc(info.id)}</a></td>"
            f"<td>{info.valid_from}</td><td>{info.valid_until}</td>"
            f"<td>{esc(http_date(info.created))}</td><td>{info.size}</td><td>{meta}</td></tr>"
        )
    folders = "".join(f"<li><a href='/browse/{esc(f)}'>{esc(f)}</a></li>" for f in subfolders)
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>QCDB listing</title></head><body>"
        f"<h1>{len(objects)} object(s)</h1><table border='1'><tr><th>path</th><th>id</th>"
        "<th>valid from</th><th>valid until</th><th>created</th><th>size</th><th>metadata</th>"
        f"</tr>{''.join(rows)}</table><h2>Subfolders</h2><ul>{folders}</ul></body></html>\n"
    )
    return page.encode()


def _text_block(info: ObjectInfo) -> str:
    lines = [
        f"ID: {info.id}",
        f"Path: {info.path}",
        f"Validity: {info.valid_from} - {info.valid_until}",
        f"Initial validity limit: {info.initial_valid_until or info.valid_until}",
        f"Created: {info.created} ({http_date(info.created)})",
        f"Last modified: {info.last_modified} ({http_date(info.last_modified)})",
        f"Original file: {info.file_name}, size: {info.size}, md5: {info.md5}",
        f"Content type: {info.content_type}",
        "Metadata:",
    ]
    lines += [f"  {k} = {v}" for k, v in info.metadata.items()]
    lines.append(f"Replicas:\n  {info.download_url}")
    return "\n".join(lines)


def _text(objects: Sequence[ObjectInfo], subfolders: Sequence[str]) -> bytes:
    body = "\n\n".join(_text_block(o) for o in objects)
    body += "\n\nSubfolders:\n" + "".join(f"  {f}\n" for f in subfolders)
    return body.encode()
