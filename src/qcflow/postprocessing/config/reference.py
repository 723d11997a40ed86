"""The reference run of QC's common module: which run, period and pass an object is compared to.

``ReferenceComparatorTask`` (:mod:`qcflow.postprocessing.tasks.reference_comparator`) and
``ReferenceComparatorCheck`` (:mod:`qcflow.checks.common.reference_check`) read the same
parameters, by run and beam type: ``referenceRun`` (0: none), ``ignorePeriodForReference`` and
``ignorePassForReference`` (true: the reference may come from another period or pass).
"""

from __future__ import annotations

from dataclasses import replace

from qcflow.objects.activity import Activity
from qcflow.postprocessing.config.parameters import CustomParameters

__all__ = ["reference_activity"]


def reference_activity(parameters: CustomParameters, activity: Activity) -> tuple[int, Activity]:
    """``referenceRun`` and the activity of the reference: that run, any period and pass unless
    ``ignorePeriodForReference`` / ``ignorePassForReference`` are false."""
    run = parameters.get_int("referenceRun", 0, activity)
    any_period = parameters.get_bool("ignorePeriodForReference", True, activity)
    any_pass = parameters.get_bool("ignorePassForReference", True, activity)
    period = "" if any_period else activity.period_name
    return run, replace(
        activity, number=run, period_name=period, pass_name="" if any_pass else activity.pass_name
    )
