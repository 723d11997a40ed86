"""QC's metadata keys (``ObjectMetadataKeys.h``) and helpers that build MO and QO metadata.

Call sites never spell a key: they pass an activity-like mapping (run number, type, period,
pass) and names, and get the dict QC writes (spec/qc-postprocessing.md section 7). Every value
is a string; the four activity keys are always present, even empty or 0, as QC does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qcflow import __version__
from qcflow.qcdb.base import ADJUSTABLE_EOV

__all__ = [
    "ACTIVITY_KEYS",
    "ADJUSTABLE_EOV",
    "CYCLE_NUMBER",
    "DISPLAY_HINTS",
    "DRAW_OPTIONS",
    "OBJECT_TYPE",
    "PASS_NAME",
    "PERIOD_NAME",
    "QC_CHECK_NAME",
    "QC_DETECTOR_NAME",
    "QC_QUALITY",
    "QC_TASK_CLASS",
    "QC_TASK_NAME",
    "QC_VERSION",
    "QUALITY_OBJECT_CLASS",
    "RUN_NUMBER",
    "RUN_TYPE",
    "activity_filters",
    "activity_metadata",
    "mo_metadata",
    "qo_metadata",
]

RUN_TYPE = "RunType"
RUN_NUMBER = "RunNumber"
PASS_NAME = "PassName"  # noqa: S105 -- a metadata key, not a password
PERIOD_NAME = "PeriodName"
CYCLE_NUMBER = "CycleNumber"
OBJECT_TYPE = "ObjectType"
DRAW_OPTIONS = "drawOptions"
DISPLAY_HINTS = "displayHints"
QC_VERSION = "qc_version"
QC_DETECTOR_NAME = "qc_detector_name"
QC_TASK_NAME = "qc_task_name"
QC_TASK_CLASS = "qc_task_class"
QC_QUALITY = "qc_quality"
QC_CHECK_NAME = "qc_check_name"
QUALITY_OBJECT_CLASS = "o2::quality_control::core::QualityObject"
#: The keys that describe an activity, in the order QC filters by them.
ACTIVITY_KEYS = (RUN_TYPE, RUN_NUMBER, PASS_NAME, PERIOD_NAME)

#: Activity-like mapping keys accepted (snake_case or QC's own spelling).
_ALIASES = {
    RUN_NUMBER: ("run_number", "runNumber", RUN_NUMBER),
    RUN_TYPE: ("run_type", "type", "runType", RUN_TYPE),
    PASS_NAME: ("pass_name", "passName", PASS_NAME),
    PERIOD_NAME: ("period_name", "periodName", PERIOD_NAME),
}
_DEFAULTS = {RUN_NUMBER: "0", RUN_TYPE: "NONE", PASS_NAME: "", PERIOD_NAME: ""}


def _lookup(activity: Mapping[str, Any] | Any, key: str) -> str:
    for alias in _ALIASES[key]:
        value = (
            activity.get(alias) if isinstance(activity, Mapping) else getattr(activity, alias, None)
        )
        if value is not None:
            return str(value)
    return _DEFAULTS[key]


def activity_metadata(activity: Mapping[str, Any] | Any) -> dict[str, str]:
    """The four activity keys from a mapping or an object (``run_number``... attributes)."""
    return {key: _lookup(activity, key) for key in ACTIVITY_KEYS}


def activity_filters(activity: Mapping[str, Any] | Any) -> dict[str, str]:
    """Retrieval filters for an activity: only non-default fields, as QC appends them."""
    meta = activity_metadata(activity)
    return {k: v for k, v in meta.items() if v != _DEFAULTS[k]}


def mo_metadata(
    activity: Mapping[str, Any] | Any,
    *,
    detector: str,
    task_name: str,
    task_class: str,
    object_type: str,
    cycle: int | None = None,
    draw_options: str = "",
    display_hints: str = "",
    adjustable_eov: bool = True,
) -> dict[str, str]:
    """The metadata QC stores with a monitor object."""
    meta = activity_metadata(activity)
    meta |= {OBJECT_TYPE: object_type, QC_VERSION: __version__, QC_DETECTOR_NAME: detector,
             QC_TASK_NAME: task_name, QC_TASK_CLASS: task_class}  # fmt: skip
    if cycle is not None:
        meta[CYCLE_NUMBER] = str(cycle)
    if draw_options:
        meta[DRAW_OPTIONS] = draw_options
    if display_hints:
        meta[DISPLAY_HINTS] = display_hints
    if adjustable_eov:
        meta[ADJUSTABLE_EOV] = "1"
    return meta


def qo_metadata(
    activity: Mapping[str, Any] | Any,
    *,
    detector: str,
    check_name: str,
    quality: int | str,
    adjustable_eov: bool = True,
) -> dict[str, str]:
    """The metadata QC stores with a quality object (``qc_quality`` is the level number)."""
    meta = activity_metadata(activity)
    meta |= {OBJECT_TYPE: QUALITY_OBJECT_CLASS, QC_QUALITY: str(quality), QC_CHECK_NAME: check_name,
             QC_VERSION: __version__, QC_DETECTOR_NAME: detector}  # fmt: skip
    if adjustable_eov:
        meta[ADJUSTABLE_EOV] = "1"
    return meta
