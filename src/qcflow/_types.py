"""Type aliases shared across qcflow's packages."""

from __future__ import annotations

from typing import Any, TypeAlias

#: Milliseconds since the Unix epoch, the time unit of the CCDB API.
TimestampMs: TypeAlias = int
#: A QCDB object path such as ``qc_async/TST/MO/BeamSpotTrending/Vertex_X_trend``.
ObjectPath: TypeAlias = str
#: A JSON value as produced by :func:`json.loads`.
JSON: TypeAlias = Any
#: A JSON object.
JSONObject: TypeAlias = dict[str, Any]
