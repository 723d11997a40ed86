"""QC's QCDB path conventions (``RepoPathUtils.h``): where monitor and quality objects live.

- monitor objects: ``<provenance>/<DET>/MO/<task>/<name>`` (a ``/`` in the name makes folders);
- quality objects: ``<provenance>/<DET>/QO/<check>`` or ``<provenance>/<DET>/QO/<check>/<mo>``
  when the check produces one quality per monitor object.

A plot is a ROOT object (TGraph, TGraphErrors, TMultiGraph) at its QC path; its PNG rendering,
for qcflow's report, is a companion object at the same path plus :data:`PNG_COMPANION`
(``…/MO/<task>/<plot>.png``).

Provenance is ``qc`` for synchronous data, ``qc_async`` for asynchronous passes, ``qc_mc`` for
simulation. Paths are checked with :func:`qcflow.qcdb.urls.check_path`.
"""

from __future__ import annotations

from qcflow._types import ObjectPath
from qcflow.errors import InvalidInput
from qcflow.qcdb.urls import check_path

__all__ = ["PNG_COMPANION", "PROVENANCES", "mo_path", "qo_path", "split_mo_path"]

#: Where QC objects come from: online, an asynchronous pass, a simulation.
PROVENANCES = ("qc", "qc_async", "qc_mc")
#: What a plot's PNG companion adds to the plot's path.
PNG_COMPANION = ".png"


def _clean(part: str, what: str) -> str:
    cleaned = part.strip("/")
    if not cleaned:
        msg = f"empty {what} in a QCDB path"
        raise InvalidInput(msg)
    return cleaned


def mo_path(provenance: str, detector: str, task: str, name: str) -> ObjectPath:
    """``<provenance>/<DET>/MO/<task>/<name>``."""
    parts = (
        _clean(provenance, "provenance"),
        _clean(detector, "detector"),
        "MO",
        _clean(task, "task name"),
        _clean(name, "object name"),
    )
    return check_path("/".join(parts))


def qo_path(provenance: str, detector: str, check: str, mo_name: str | None = None) -> ObjectPath:
    """``<provenance>/<DET>/QO/<check>[/<mo>]``."""
    parts = [
        _clean(provenance, "provenance"),
        _clean(detector, "detector"),
        "QO",
        _clean(check, "check name"),
    ]
    if mo_name:
        parts.append(_clean(mo_name, "object name"))
    return check_path("/".join(parts))


def split_mo_path(path: ObjectPath) -> tuple[str, str, str, str]:
    """``(provenance, detector, task, name)`` of a monitor object path."""
    parts = path.strip("/").split("/")
    if len(parts) < 5 or parts[2] != "MO":
        msg = f"{path!r} is not a monitor object path (<provenance>/<DET>/MO/<task>/<name>)"
        raise InvalidInput(msg)
    return parts[0], parts[1], parts[3], "/".join(parts[4:])
