"""Qualities, checks, policies and aggregators: judging what post-processing tasks publish.

Map (a publication flows top to bottom)::

    engine publication --> runner --> policies (ready?) --> check --> quality_objects --> QCDB
                             \\--> aggregators (in dependency order) --> quality_objects --> QCDB

- :mod:`.check` -- the check interface (:class:`Check`) and :class:`MonitorObject`.
- :mod:`.policies` -- update policies (``OnAny``, ``OnAnyNonZero``, ``OnAll``,
  ``OnEachSeparately``, ``OnGlobalAny``) on a revision clock.
- :mod:`.aggregators` -- the aggregator interface, WorstOfAll, BestOfAll, Majority.
- :mod:`.quality_objects` -- QO activity (common fields; validity union for checks,
  intersection for aggregators), ``CycleNumber``, storage with ``qc_quality`` metadata.
- :mod:`.runner` -- the engine extension (entry point ``qcflow.engine``) that runs checks after
  each publication of a task, then aggregators.
- :mod:`.common` -- QC's common module: MeanIsAbove, NonEmpty, IncreasingEntries,
  EverIncreasingGraph, TrendCheck, ReferenceComparatorCheck and its comparators,
  CcdbInspectorCheck.

Checks and aggregators are found by the class registry under their O2 names (entry points of
group ``qcflow.classes``); a plugin check subclasses :class:`Check` and registers itself with
:func:`qcflow.postprocessing.register` (see docs/plugins.md).
"""

from __future__ import annotations

from qcflow.checks.aggregators import Aggregator, BestOfAll, Majority, WorstOfAll
from qcflow.checks.check import Check, MonitorObject
from qcflow.checks.policies import POLICIES, RevisionClock, UpdatePolicy

__all__ = [
    "POLICIES",
    "Aggregator",
    "BestOfAll",
    "Check",
    "Majority",
    "MonitorObject",
    "RevisionClock",
    "UpdatePolicy",
    "WorstOfAll",
]
