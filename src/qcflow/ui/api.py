"""The UI's JSON API over any Repository (``/ui/api/...``), read by the single-page app.

Every answer is computed from the Repository protocol only, so the UI works on an embedded
store and on any CCDB-compatible server alike:

- ``tree?path=P``: the folders directly under ``P`` and the objects directly in it (one
  ``subfolders`` and one ``latest`` call: a folder of a 100,000-object store opens at once);
  ``count?path=P``: how many objects a folder holds, asked per folder after the tree is shown;
- ``search?q=Q``: a substring of object paths, or a CCDB pattern when ``Q`` holds ``*`` or ``%``;
- ``versions?path=P&<filters>``: every version, newest first; ``object?path=P&<filters>[&at=ms]
  [&id=uuid]``: one version (the newest created match without ``at``, as QCG shows it) with its
  metadata, its kind (root, png, quality, json) and, for a quality object, the decoded verdict;
- ``download/<uuid>``: the content with byte ranges (JSROOT reads ROOT files in ranges);
- ``matrix?period=P&pass=A``: runs x detectors from :func:`qcflow.report.collect.collect`,
  verdicts from the listing (``decode=False``): a cell names its quality objects (path, id,
  verdict) and the page asks ``object?...&id=`` for their flags and inputs when it is opened;
- ``runs?path=P&<filters>``: the runs of the objects under ``P`` with their validity, which
  turns a trend point (a time or a run) into a run;
- ``layouts``: see :mod:`qcflow.ui.layouts` (writes need the write token when one is set).

Metadata filters are the query parameters named after QCG's four filters (``RunNumber``,
``RunType``, ``PeriodName``, ``PassName``); empty ones are ignored.
"""

from __future__ import annotations

import functools
import json
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from qcflow._types import JSONObject
from qcflow.errors import InvalidInput, NotFound
from qcflow.objects.metadata import (
    ACTIVITY_KEYS,
    DISPLAY_HINTS,
    DRAW_OPTIONS,
    OBJECT_TYPE,
    QUALITY_OBJECT_CLASS,
    RUN_NUMBER,
)
from qcflow.objects.quality import QualityObject
from qcflow.qcdb.model import ObjectInfo
from qcflow.qcdb.repository import Repository
from qcflow.qcdb.server.http import parse_range
from qcflow.report.collect import collect, worst
from qcflow.ui import layouts
from qcflow.ui.trends import trend_plots

__all__ = ["Api", "ApiOptions"]

T = TypeVar("T")
#: At most this many search results and versions per answer (the page says when cut).
MAX_RESULTS = 500
#: Matrix answers kept (period, pass, provenance) while the store is unchanged.
_MATRICES_KEPT = 16


@dataclass(frozen=True)
class ApiOptions:
    """Who may write layouts: nobody (read-only, the default), or holders of ``token``."""

    read_only: bool = True
    token: str | None = None
    provenance: str = "qc_async"


def _filters(request: Request) -> dict[str, str]:
    params = request.query_params
    return {k: params[k].strip() for k in ACTIVITY_KEYS if params.get(k, "").strip()}


def _int_param(request: Request, name: str) -> int | None:
    text = request.query_params.get(name, "").strip()
    if not text:
        return None
    if not (text.isascii() and text.lstrip("-").isdigit()):
        msg = f"query parameter {name}={text!r} is not a whole number"
        raise InvalidInput(msg)
    return int(text)


def _path_param(request: Request, *, required: bool = True) -> str:
    path = request.query_params.get("path", "").strip().strip("/")
    if required and not path:
        msg = "query parameter path is missing"
        raise InvalidInput(msg)
    return path


def _kind(info: ObjectInfo) -> str:
    object_type = info.metadata.get(OBJECT_TYPE, "")
    if info.content_type.startswith("image/"):
        return "image"
    if object_type == QUALITY_OBJECT_CLASS or "/QO/" in f"/{info.path}":
        return "quality"
    if info.content_type == "application/json":
        return "json"
    return "root"


def summary(info: ObjectInfo) -> JSONObject:
    """What the page shows of one version (metadata included)."""
    meta = info.metadata
    return {
        "path": info.path,
        "id": info.id,
        "validFrom": info.valid_from,
        "validUntil": info.valid_until,
        "created": info.created,
        "size": info.size,
        "contentType": info.content_type,
        "objectType": meta.get(OBJECT_TYPE, ""),
        "kind": _kind(info),
        "run": meta.get(RUN_NUMBER, ""),
        "runType": meta.get("RunType", ""),
        "period": meta.get("PeriodName", ""),
        "pass": meta.get("PassName", ""),
        "drawOptions": meta.get(DRAW_OPTIONS, ""),
        "displayHints": meta.get(DISPLAY_HINTS, ""),
        "metadata": dict(meta),
    }


def quality_json(qo: QualityObject, path: str) -> JSONObject:
    """A quality object as the page shows it: verdict, flags, and what it judged, with paths.

    QC names a check's inputs by task (``RecPP``) and its monitor objects relative to the
    detector's ``MO`` folder (``RecPP/h_summary_ADC``); the paths are those under the QO's own
    provenance and detector (``<prov>/<DET>/MO/...``).
    """
    mo_folder = "/".join([*path.split("/")[:2], "MO"])
    return {
        "quality": qo.quality.name,
        "level": qo.quality.level,
        "checkName": qo.check_name,
        "detector": qo.detector,
        "policy": qo.policy,
        "flags": [
            {"name": f.type.name, "bad": f.type.bad, "comment": f.comment} for f in qo.quality.flags
        ],
        "inputs": [{"name": i, "path": f"{mo_folder}/{i}"} for i in qo.inputs],
        "monitorObjects": [{"name": m, "path": f"{mo_folder}/{m}"} for m in qo.mo_names],
        "run": qo.activity.number,
    }


def _runs_json(runs: dict[int, tuple[int, int]]) -> list[JSONObject]:
    return [{"run": r, "validFrom": s, "validUntil": e} for r, (s, e) in sorted(runs.items())]


def _multipart(data: bytes, header: str, content_type: str, headers: dict[str, str]) -> Response:
    """A ``multipart/byteranges`` answer to a ``Range`` header naming several ranges."""
    unit, _, specs = header.partition("=")
    spans = [parse_range(f"{unit.strip()}={spec.strip()}", len(data)) for spec in specs.split(",")]
    boundary = f"qcflow{uuidlib.uuid4().hex}"
    parts = []
    for span in spans:
        first, last = span if span is not None else (0, len(data) - 1)
        parts.append(
            f"--{boundary}\r\nContent-Type: {content_type}\r\n"
            f"Content-Range: bytes {first}-{last}/{len(data)}\r\n\r\n".encode()
            + data[first : last + 1]
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return Response(body, 206, headers, media_type=f"multipart/byteranges; boundary={boundary}")


class Api:
    """The handlers, bound to one repository."""

    def __init__(self, repo: Repository, options: ApiOptions) -> None:
        self.repo = repo
        self.options = options
        # The matrix lists every quality object of a period: its answer is kept per query
        # while the store is unchanged (repositories with a ``version()``, the embedded store).
        version = getattr(repo, "version", None)
        self._version: Callable[[], object] | None = version if callable(version) else None
        self._matrices: dict[tuple[str, str, str], tuple[object, JSONObject]] = {}

    async def _read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await run_in_threadpool(functools.partial(fn, *args, **kwargs))

    # --- reading ------------------------------------------------------------------------------

    async def info(self, request: Request) -> Response:
        return JSONResponse(
            {
                "qcdb": self.repo.url,
                "writable": not self.options.read_only,
                "tokenRequired": self.options.token is not None,
                "provenance": self.options.provenance,
                "layoutFolder": layouts.LAYOUT_FOLDER,
            }
        )

    async def tree(self, request: Request) -> Response:
        path = _path_param(request, required=False)
        folders = await self._read(self.repo.subfolders, path)
        objects: list[ObjectInfo] = []
        if path:
            pattern = f"{path}/[^/]*$"
            objects = await self._read(self.repo.latest, pattern, _filters(request))
        return JSONResponse(
            {
                "path": path,
                "folders": [{"path": f, "name": f.rsplit("/", 1)[-1]} for f in folders],
                "objects": [summary(i) for i in objects],
            }
        )

    async def count(self, request: Request) -> Response:
        path = _path_param(request)
        found = await self._read(self.repo.latest, f"{path}/.*", _filters(request))
        return JSONResponse({"path": path, "count": len(found)})

    async def search(self, request: Request) -> Response:
        query = request.query_params.get("q", "").strip().strip("/")
        if not query:
            return JSONResponse({"query": query, "results": [], "truncated": False})
        if "*" in query or "%" in query:
            found = await self._read(self.repo.latest, query, _filters(request))
        else:
            everything = await self._read(self.repo.latest, ".*", _filters(request))
            needle = query.lower()
            found = [i for i in everything if needle in i.path.lower()]
        return JSONResponse(
            {
                "query": query,
                "results": [summary(i) for i in found[:MAX_RESULTS]],
                "truncated": len(found) > MAX_RESULTS,
            }
        )

    async def versions(self, request: Request) -> Response:
        path = _path_param(request)
        found = await self._read(self.repo.browse, path, _filters(request), limit=MAX_RESULTS + 1)
        return JSONResponse(
            {
                "path": path,
                "versions": [summary(i) for i in found[:MAX_RESULTS]],
                "truncated": len(found) > MAX_RESULTS,
            }
        )

    def _resolve(
        self, path: str, filters: dict[str, str], at: int | None, ident: str | None
    ) -> ObjectInfo:
        if ident:
            return self.repo.download(ident).info
        if at is not None:
            return self.repo.info(path, at, filters)
        newest = self.repo.browse(path, filters, limit=1)
        if not newest:
            shown = ", ".join(f"{k}={v}" for k, v in filters.items()) or "no filters"
            msg = f"no version of {path} matches {shown}"
            raise NotFound(msg)
        return newest[0]

    async def object(self, request: Request) -> Response:
        path = _path_param(request)
        ident = request.query_params.get("id", "").strip() or None
        info = await self._read(
            self._resolve, path, _filters(request), _int_param(request, "at"), ident
        )
        answer = summary(info)
        if answer["kind"] == "quality":
            data = (await self._read(self.repo.download, info.id)).data
            answer["qualityObject"] = quality_json(QualityObject.decode(data, info.path), info.path)
        task = info.metadata.get("qc_task_name", "")
        if answer["objectType"] == "TTree" and task:
            answer["trendPlots"] = trend_plots(task)
        return JSONResponse(answer)

    async def download(self, request: Request) -> Response:
        try:
            ident = str(uuidlib.UUID(request.path_params["ident"]))
        except ValueError as err:
            msg = f"download: {request.path_params['ident']!r} is not a UUID"
            raise InvalidInput(msg) from err
        info, data = await self._read(self.repo.download, ident)
        headers = {"Accept-Ranges": "bytes", "ETag": f'"{info.id}"', "Cache-Control": "no-cache"}
        header = request.headers.get("range")
        if header and "," in header:  # JSROOT asks for many pieces of a ROOT file at once
            return _multipart(data, header, info.content_type, headers)
        span = parse_range(header, len(data))
        if span is None:
            return Response(data, 200, headers, media_type=info.content_type)
        first, last = span
        headers["Content-Range"] = f"bytes {first}-{last}/{len(data)}"
        return Response(data[first : last + 1], 206, headers, media_type=info.content_type)

    async def runs(self, request: Request) -> Response:
        path = _path_param(request)
        found = await self._read(self.repo.browse, f"{path}/.*", _filters(request))
        runs: dict[int, tuple[int, int]] = {}
        for info in found:
            text = info.metadata.get(RUN_NUMBER, "0")
            run = int(text) if text.isascii() and text.isdigit() else 0
            if run:
                start, end = runs.get(run, (info.valid_from, info.valid_until))
                runs[run] = (min(start, info.valid_from), max(end, info.valid_until))
        return JSONResponse(
            {
                "path": path,
                "runs": _runs_json(runs),
            }
        )

    async def matrix(self, request: Request) -> Response:
        params = request.query_params
        period, pass_name = params.get("period", "").strip(), params.get("pass", "").strip()
        if not period or not pass_name:
            msg = "the matrix needs period=P and pass=A"
            raise InvalidInput(msg)
        provenance = params.get("provenance", "").strip() or self.options.provenance
        key = (period, pass_name, provenance)
        version = await self._read(self._version) if self._version else None
        cached = self._matrices.get(key)
        if version is not None and cached is not None and cached[0] == version:
            return JSONResponse(cached[1])
        answer = await self._read(self._matrix, period, pass_name, provenance)
        if version is not None:
            if len(self._matrices) >= _MATRICES_KEPT:
                self._matrices.clear()
            self._matrices[key] = (version, answer)
        return JSONResponse(answer)

    def _matrix(self, period: str, pass_name: str, provenance: str) -> JSONObject:
        data = collect(self.repo, period, pass_name, provenance=provenance, decode=False)
        cells: list[JSONObject] = []
        for (run, detector), entries in sorted(data.qualities.items()):
            cells.append(
                {
                    "run": run,
                    "detector": detector,
                    "quality": worst([e.quality for e in entries]).name,
                    "objects": [
                        {
                            "quality": e.quality.name,
                            "level": e.quality.level,
                            "path": e.info.path,
                            "id": e.info.id,
                            "name": e.name,
                        }
                        for e in entries
                    ],
                }
            )
        return {
            "period": period,
            "pass": pass_name,
            "provenance": provenance,
            "detectors": data.detectors,
            "checked": sorted(data.checked),
            "runs": _runs_json(data.runs),
            "cells": cells,
        }

    # --- layouts ------------------------------------------------------------------------------

    async def layout_list(self, request: Request) -> Response:
        found = await self._read(self.repo.latest, f"{layouts.LAYOUT_FOLDER}/.*")
        return JSONResponse(
            {
                "folder": layouts.LAYOUT_FOLDER,
                "layouts": [
                    {
                        "key": i.path.rsplit("/", 1)[-1],
                        "path": i.path,
                        "id": i.id,
                        "name": i.metadata.get(layouts.LAYOUT_NAME, ""),
                        "created": i.created,
                    }
                    for i in found
                ],
            }
        )

    async def layout_get(self, request: Request) -> Response:
        key = request.path_params["key"]
        path = layouts.layout_path(key)
        ident = request.query_params.get("id", "").strip()
        if ident:
            fetched = await self._read(self.repo.download, ident)
        else:
            newest = await self._read(self.repo.browse, path, limit=1)
            if not newest:
                msg = f"no layout {key!r} under {layouts.LAYOUT_FOLDER}/"
                raise NotFound(msg)
            fetched = await self._read(self.repo.download, newest[0].id)
        history = await self._read(self.repo.browse, path)
        return JSONResponse(
            {
                "layout": layouts.validate(fetched.data),
                "id": fetched.info.id,
                "versions": [{"id": i.id, "created": i.created} for i in history],
            }
        )

    async def layout_put(self, request: Request) -> Response:
        body = await request.body()
        document = layouts.validate(body)
        path = layouts.layout_path(document["name"])
        data = json.dumps(document, indent=1).encode()
        info = await self._read(
            self.repo.store,
            path,
            data,
            content_type="application/json",
            metadata={layouts.LAYOUT_NAME: document["name"]},
            file_name="layout.json",
        )
        return JSONResponse({"key": path.rsplit("/", 1)[-1], "id": info.id, "layout": document})

    async def layout_delete(self, request: Request) -> Response:
        path = layouts.layout_path(request.path_params["key"])
        count = await self._read(self.repo.truncate, path)
        if not count:
            msg = f"no layout {request.path_params['key']!r} under {layouts.LAYOUT_FOLDER}/"
            raise NotFound(msg)
        return JSONResponse({"deleted": count})
