"""The check interface: what a class named by a check's ``className`` implements.

A check judges monitor objects and returns a :class:`~qcflow.objects.quality.Quality`. The check
runner (:mod:`.runner`) calls, per activity (one ``qcflow qc`` run)::

    configure(config)                 once, after construction (a CheckConfig: name, policy,
                                      data sources, parameters)
    start_of_activity(activity)       before the first check of the activity; reset state here
    check(objects, activity)          when the update policy says so; ``objects`` maps
                                      "<taskName>/<moName>" to the object -- one entry per
                                      object for OnEachSeparately
    beautify(name, obj, quality)      after ``check``, for each object, only when the check has a
                                      single data source (as QC); returns None, a list of
                                      overlays to draw, or a replacement object to publish
    end_of_activity(activity)         after the last check

The objects a check receives, by what the task published:

=============================== ==============================================================
a histogram (``hist.Hist`` too) :class:`qcflow.objects.root.Histogram` (values and variances
                                with flow bins, axes, ROOT's stored statistics)
a plot                          :class:`~qcflow.postprocessing.plotting.images.PlotImage` (PNG,
                                the points of each graph in ``graphs``, ``annotated(overlays)``)
a trend table                   its columns, ``{"vertex_X.mean": array, ...}``
a quality object                :class:`qcflow.objects.quality.QualityObject`
anything else                   the object as published
=============================== ==============================================================

What ``beautify`` may return (QC's checks add lines and text boxes to the object itself):

- None -- nothing changes (the default);
- a list of overlays (:mod:`qcflow.postprocessing.plotting.overlays`: ``HLine``, ``Polyline``,
  ``Label``) -- a plot is drawn again with them and republished at its path; for other objects
  (histograms: uproot cannot write ROOT's drawing primitives) they are recorded as the stored
  object's ``qc_annotations`` metadata (JSON);
- any other object -- published in place of the original, at its path.

Parameters (``checkParameters`` / ``extendedCheckParameters``) are read with
``self.parameters.get(key, activity, default)`` and friends, which apply QC's run type / beam
type fallbacks. A check raising an exception in ``check`` produces no quality object (logged, as
QC); a bad parameter found in ``configure`` is an :class:`~qcflow.errors.InvalidInput` naming it.

Set by the runner before ``start_of_activity``: ``self.services`` (QCDB access, as a task's:
``retrieve_mo``, ``retrieve_latest``…) and ``self.log``. ``self.monitor_object(name)`` gives the
path, activity and metadata of an object of the current ``check`` call.

A minimal check::

    @register("check", "mylab::EntriesAbove")
    class EntriesAbove(Check):
        def check(self, objects, activity):
            limit = self.parameters.get_float("minEntries", 1.0, activity)
            ok = all(h.entries >= limit for h in objects.values())
            return Quality.GOOD if ok else Quality.BAD
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from qcflow.objects.activity import Activity
from qcflow.objects.quality import Quality
from qcflow.postprocessing import CheckConfig, CustomParameters, Services, TrendTable

__all__ = ["Check", "MonitorObject", "check_input"]


@dataclass(frozen=True)
class MonitorObject:
    """A checked object with where it is: ``path`` (with provenance), activity and metadata."""

    name: str
    path: str
    obj: Any
    activity: Activity
    metadata: Mapping[str, str] = field(default_factory=dict)
    id: str = ""  # the stored version's id

    @property
    def path_in_provenance(self) -> str:
        """The path without its provenance (``ZDC/MO/RecPP/h_summary_ADC``)."""
        return self.path.split("/", 1)[1]


class Check:
    """Base class of checks; override ``check`` and, if useful, the other hooks."""

    kind: ClassVar[str] = "check"

    config: CheckConfig
    log: logging.Logger
    services: Services
    #: Set by the runner: the monitor object behind a name of the current ``check`` call.
    lookup: Callable[[str], MonitorObject | None] | None = None

    def configure(self, config: CheckConfig) -> None:
        self.config = config
        self.log = logging.getLogger(f"qcflow.check.{config.name}")

    @property
    def parameters(self) -> CustomParameters:
        return self.config.parameters

    def monitor_object(self, name: str) -> MonitorObject | None:
        """Path, activity and metadata of the object ``name`` ("<taskName>/<moName>")."""
        return self.lookup(name) if self.lookup is not None else None

    def start_of_activity(self, activity: Activity) -> None:
        """Called before the first check of an activity."""

    def check(self, objects: Mapping[str, Any], activity: Activity) -> Quality:
        """The quality of ``objects`` (keyed ``"<taskName>/<moName>"``)."""
        raise NotImplementedError

    def beautify(self, name: str, obj: Any, quality: Quality) -> Any:
        """Overlays for ``obj``, an annotated replacement to publish, or None (the default)."""
        return None

    def end_of_activity(self, activity: Activity) -> None:
        """Called after the last check of an activity."""


def check_input(obj: Any) -> Any:
    """What a check receives for a published object (see :mod:`.check`)."""
    from qcflow.objects.root import Histogram

    if isinstance(obj, TrendTable):
        return obj.columns()
    if (
        not isinstance(obj, Histogram)
        and hasattr(obj, "axes")
        and callable(getattr(obj, "values", None))
    ):
        return Histogram.from_hist(obj)
    return obj
