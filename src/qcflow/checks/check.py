"""The check interface: what a class named by a check's ``className`` implements.

A check judges monitor objects and returns a :class:`~qcflow.objects.quality.Quality`. The check
runner calls, per activity (one ``qcflow qc`` run)::

    configure(config)                 once, after construction (a CheckConfig: name, policy,
                                      data sources, parameters)
    start_of_activity(activity)       before the first check of the activity; reset state here
    check(objects, activity)          when the update policy says so; ``objects`` maps
                                      "<taskName>/<moName>" to the decoded object (a Histogram,
                                      a plot, a trend table, ...) -- one entry per object for
                                      OnEachSeparately
    beautify(name, obj, quality)      after ``check``, for each object, only when the check has a
                                      single data source (as QC); may return a replacement
                                      object to publish, or None
    end_of_activity(activity)         after the last check

Parameters (``checkParameters`` / ``extendedCheckParameters``) are read with
``self.parameters.get(key, activity, default)`` and friends, which apply QC's run type / beam
type fallbacks. A check raising an exception produces no quality object (logged, as QC).

A minimal check::

    @register("check", "mylab::EntriesAbove")
    class EntriesAbove(Check):
        def check(self, objects, activity):
            limit = self.parameters.get_float("minEntries", activity, 1.0)
            ok = all(h.entries >= limit for h in objects.values())
            return Quality.GOOD if ok else Quality.BAD
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from qcflow.objects.activity import Activity
from qcflow.objects.quality import Quality
from qcflow.postprocessing.check_config import CheckConfig
from qcflow.postprocessing.parameters import CustomParameters

__all__ = ["Check"]


class Check:
    """Base class of checks; override ``check`` and, if useful, the other hooks."""

    kind: ClassVar[str] = "check"

    config: CheckConfig
    log: logging.Logger

    def configure(self, config: CheckConfig) -> None:
        self.config = config
        self.log = logging.getLogger(f"qcflow.check.{config.name}")

    @property
    def parameters(self) -> CustomParameters:
        return self.config.parameters

    def start_of_activity(self, activity: Activity) -> None:
        """Called before the first check of an activity."""

    def check(self, objects: Mapping[str, Any], activity: Activity) -> Quality:
        """The quality of ``objects`` (keyed ``"<taskName>/<moName>"``)."""
        raise NotImplementedError

    def beautify(self, name: str, obj: Any, quality: Quality) -> Any:
        """An annotated replacement for ``obj`` to publish, or None (the default)."""
        return None

    def end_of_activity(self, activity: Activity) -> None:
        """Called after the last check of an activity."""
