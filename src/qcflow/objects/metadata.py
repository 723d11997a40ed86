"""QC's metadata keys (``ObjectMetadataKeys.h``) and helpers that build MO and QO metadata.

Call sites never spell a key: they pass an :class:`~qcflow.objects.activity.Activity` and names,
and get the dict QC writes (spec/qc-postprocessing.md section 7). Every value is a string; the
four activity keys are always present, even empty or 0, as QC does (``Activity.metadata``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qcflow import __version__
from qcflow.qcdb.base import ADJUSTABLE_EOV

if TYPE_CHECKING:  # activity.py imports the keys from here
    from qcflow.objects.activity import Activity

__all__ = [
    "ACTIVITY_KEYS",
    "ADJUSTABLE_EOV",
    "CYCLE_NUMBER",
    "DISPLAY_HINTS",
    "DRAW_OPTIONS",
    "OBJECT_TYPE",
    "PASS_NAME",
    "PERIOD_NAME",
    "QCFLOW_SOURCES",
    "QCFLOW_VERSION",
    "QC_CHECK_NAME",
    "QC_COMPATIBLE_VERSION",
    "QC_DETECTOR_NAME",
    "QC_QUALITY",
    "QC_TASK_CLASS",
    "QC_TASK_NAME",
    "QC_VERSION",
    "QUALITY_OBJECT_CLASS",
    "RUN_NUMBER",
    "RUN_TYPE",
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
QCFLOW_VERSION = "qcflow_version"
#: qcflow's own key on a trend (tree or plot): the comma-separated QCDB paths of the data sources
#: it trends, the plot's first one first (``qcflow ui`` opens the first one's object of a run
#: when a trend point is clicked)
QCFLOW_SOURCES = "qcflow_sources"
#: The ``qc_version`` qcflow writes: QC's readers treat objects of versions below 0.25 as wrapped
#: ``MonitorObject``s, so qcflow declares the QC version whose layout it writes (its own version
#: goes under ``qcflow_version``).
QC_COMPATIBLE_VERSION = "1.195.0"
QC_DETECTOR_NAME = "qc_detector_name"
QC_TASK_NAME = "qc_task_name"
QC_TASK_CLASS = "qc_task_class"
QC_QUALITY = "qc_quality"
QC_CHECK_NAME = "qc_check_name"
QUALITY_OBJECT_CLASS = "o2::quality_control::core::QualityObject"
#: The keys that describe an activity, in the order QC filters by them.
ACTIVITY_KEYS = (RUN_TYPE, RUN_NUMBER, PASS_NAME, PERIOD_NAME)


def _versions() -> dict[str, str]:
    return {QC_VERSION: QC_COMPATIBLE_VERSION, QCFLOW_VERSION: __version__}


def mo_metadata(
    activity: Activity,
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
    meta = activity.metadata()
    meta |= {
        OBJECT_TYPE: object_type,
        QC_DETECTOR_NAME: detector,
        QC_TASK_NAME: task_name,
        QC_TASK_CLASS: task_class,
        **_versions(),
    }
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
    activity: Activity,
    *,
    detector: str,
    check_name: str,
    quality: int | str,
    adjustable_eov: bool = True,
) -> dict[str, str]:
    """The metadata QC stores with a quality object (``qc_quality`` is the level number)."""
    meta = activity.metadata()
    meta |= {
        OBJECT_TYPE: QUALITY_OBJECT_CLASS,
        QC_QUALITY: str(quality),
        QC_CHECK_NAME: check_name,
        QC_DETECTOR_NAME: detector,
        **_versions(),
    }
    if adjustable_eov:
        meta[ADJUSTABLE_EOV] = "1"
    return meta
