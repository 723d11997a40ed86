"""Quality objects as the check runner makes and stores them (QC's ``Check``/``Aggregator``).

- :func:`strictest_activity` -- a check's QO activity: the fields its inputs share (others
  become wildcards), validity spanning them all (QC's ``strictestMatchingActivity``).
- :func:`overlapping_activity` -- an aggregator's: the same fields, validity the *intersection*
  of its inputs' (so that a task triggered by the aggregated QO finds every input valid at its
  start); a disjoint set gives ``[latest end - 1, latest end]``, with a warning, as in QC.
- :func:`with_cycle` -- ``CycleNumber`` = the largest of the inputs', in the quality's metadata.
- :func:`store_quality_object` -- ``<prov>/<DET>/QO/<name>`` with QC's QO metadata (activity
  keys, ``ObjectType``, ``qc_quality``, ``qc_check_name``, ``qc_detector_name``, versions,
  ``adjustableEOV``) plus the quality's own metadata (never overriding those), QC's ROOT payload
  (``application/root``, file name ``o2-quality_control-core-QualityObject_<validFrom>.root`` as
  the CCDB client names uploads).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

from qcflow.objects.activity import ANY_RUN_TYPE, Activity
from qcflow.objects.metadata import CYCLE_NUMBER, QUALITY_OBJECT_CLASS
from qcflow.objects.quality import Quality, QualityObject
from qcflow.objects.root import upload_file_name
from qcflow.qcdb.model import ObjectInfo
from qcflow.qcdb.repository import Repository

__all__ = [
    "max_cycle",
    "overlapping_activity",
    "store_quality_object",
    "strictest_activity",
    "with_cycle",
]

log = logging.getLogger("qcflow.checks")
T = TypeVar("T")


def _shared(values: set[T], wildcard: T) -> T:
    return values.pop() if len(values) == 1 else wildcard


def _common(activities: Sequence[Activity]) -> Activity:
    """The fields all ``activities`` share; wildcards elsewhere (validity left to the caller)."""
    return Activity(
        number=_shared({a.number for a in activities}, 0),
        type=_shared({a.type for a in activities}, ANY_RUN_TYPE),
        period_name=_shared({a.period_name for a in activities}, ""),
        pass_name=_shared({a.pass_name for a in activities}, ""),
        provenance=activities[0].provenance,
        beam_type=_shared({a.beam_type for a in activities}, ""),
    )


def strictest_activity(activities: Sequence[Activity]) -> Activity:
    """Shared fields, validity from the earliest start to the latest end."""
    common = _common(activities)
    return common.with_validity(
        min(a.valid_from for a in activities), max(a.valid_until for a in activities)
    )


def overlapping_activity(activities: Sequence[Activity], name: str = "") -> Activity:
    """Shared fields, validity the intersection (see the module docstring)."""
    common = _common(activities)
    start = max(a.valid_from for a in activities)
    end = min(a.valid_until for a in activities)
    if start > end:
        end = max(a.valid_until for a in activities)
        start = end - 1
        log.warning(
            "the validities of the inputs of aggregator %r do not overlap; the last "
            "millisecond of the latest one is used, as in QC",
            name,
        )
    return common.with_validity(start, end)


def max_cycle(metadata: Iterable[Mapping[str, str]]) -> int | None:
    """The largest ``CycleNumber`` among the inputs' metadata, if any has one."""
    texts = [m.get(CYCLE_NUMBER, "") for m in metadata]
    cycles = [int(t) for t in texts if t.isascii() and t.isdigit()]
    return max(cycles) if cycles else None


def with_cycle(quality: Quality, cycle: int | None) -> Quality:
    """``quality`` with ``CycleNumber`` metadata (unless it already has one, as QC's
    ``addMetadata``)."""
    if cycle is None or CYCLE_NUMBER in quality.metadata:
        return quality
    return quality.with_metadata(CYCLE_NUMBER, str(cycle))


def store_quality_object(repository: Repository, qo: QualityObject) -> ObjectInfo:
    """Store ``qo`` at its path, valid as its activity says."""
    metadata = {**qo.quality.metadata, **qo.metadata()}
    activity = qo.activity
    return repository.store(
        qo.path,
        qo.encode(),
        valid_from=activity.valid_from,
        valid_until=activity.valid_until,
        metadata=metadata,
        content_type="application/root",
        file_name=upload_file_name(QUALITY_OBJECT_CLASS, activity.valid_from),
    )
