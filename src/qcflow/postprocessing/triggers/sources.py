"""Triggers that can be polled: what each parsed trigger string does when the runner asks.

:func:`create_trigger` turns a :class:`~.trigger.TriggerSpec` into a :class:`TriggerSource`;
``poll()`` returns a :class:`~.trigger.Trigger` (false when it did not fire). Behaviour, as in
QC (``Triggers.cxx``), with qcflow's changes marked *qcflow*:

- ``once``: fires on the first poll, ``last``; invalid validity; timestamp = the run's "now".
- ``always``: fires on every poll; the task's activity; timestamp = "now".
- ``userorcontrol``: never fires when polled and is ``last`` (removed at once); the runner calls
  initialize/finalize at start and stop of the run instead.
- ``sor``/``eor``/``sof``/``eof``: never fire (run and fill events do not exist offline).
- periodic: first fires one period after creation; missed periods collapse into one firing whose
  timestamp is the due time; validity ``[t, t]``.
- ``newobject``: polls the latest version of ``<provenance>/<path>`` (activity filters on the
  server); fires when its ``lastModified`` grows; the object present at creation is ignored;
  validity = the object's; timestamp = ``validUntil - 1`` (``validFrom`` for 10-year "legacy"
  validities). *qcflow*: a new version created in the same millisecond as the last one seen
  counts as new too; no 1 s sleep before firing (QC's guard against a race with online
  publishers that cannot happen in a batch job).
- ``foreachobject``/``foreachlatest``: list once at creation; keep versions whose activity the
  task's activity matches (*qcflow*: run, period and pass filters are applied by the server, so
  a listing does not ship the whole history; the run type is matched client-side because legacy
  objects store it as an integer); ``foreachobject`` fires once per version by ``Valid-From``
  and passes its ``CycleNumber`` as a retrieval filter; ``foreachlatest`` keeps the newest
  ``Created`` per distinct activity and fires in (period, pass, run) order. Timestamp =
  ``Valid-From``. ``ccdb`` triggers use the path as is and filter nothing (*qcflow*: QC filters
  them with a default activity whose provenance ``qc`` then never matches ``qc_async``).
  :meth:`TriggerSource.lookahead` shows the next firings without consuming them, so tasks can
  prefetch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from qcflow._types import TimestampMs
from qcflow.objects.activity import Activity
from qcflow.postprocessing.triggers.clock import Clock
from qcflow.postprocessing.triggers.trigger import Trigger, TriggerSpec, TriggerType
from qcflow.postprocessing.triggers.validity import FULL, INVALID

if TYPE_CHECKING:
    from qcflow.qcdb.model import ObjectInfo
    from qcflow.qcdb.repository import Repository

__all__ = [
    "TriggerContext",
    "TriggerSource",
    "create_trigger",
    "object_activity",
    "task_activity",
]

#: QC treats a validity longer than nine years as the legacy "open-ended" convention.
_LEGACY_VALIDITY_MS = 9 * 365 * 24 * 3600 * 1000


@dataclass
class TriggerContext:
    """What triggers need: the task's activity, where to look, the clock and the run's "now"."""

    activity: Activity
    qcdb: Callable[[], Repository]
    ccdb: Callable[[], Repository]
    clock: Clock
    now_ms: TimestampMs
    notes: list[str] = field(default_factory=list)


class TriggerSource(Protocol):
    """A pollable trigger."""

    spec: TriggerSpec

    def poll(self) -> Trigger: ...

    def lookahead(self, limit: int) -> list[Trigger]:
        """Up to ``limit`` triggers the next polls will return, when that is known."""
        ...

    def next_due(self) -> float | None:
        """For clock-driven triggers the monotonic time of the next firing, else None."""
        ...


class _Base:
    def __init__(self, spec: TriggerSpec, ctx: TriggerContext) -> None:
        self.spec = spec
        self.ctx = ctx

    def poll(self) -> Trigger:
        raise NotImplementedError

    def _no(self, last: bool = False) -> Trigger:
        activity = self.ctx.activity
        return Trigger(TriggerType.NO, last, activity, self.ctx.now_ms, self.spec.text)

    def lookahead(self, limit: int) -> list[Trigger]:
        return []

    def next_due(self) -> float | None:
        return None


class _Once(_Base):
    fired = False

    def poll(self) -> Trigger:
        if self.fired:
            return self._no(last=True)
        self.fired = True
        activity = self.ctx.activity.with_validity(INVALID.start, INVALID.end)
        return Trigger(TriggerType.ONCE, True, activity, self.ctx.now_ms, self.spec.text)


class _Always(_Base):
    def poll(self) -> Trigger:
        now = self.ctx.clock.now_ms()
        return Trigger(TriggerType.ALWAYS, False, self.ctx.activity, now, self.spec.text)

    def next_due(self) -> float | None:
        return self.ctx.clock.monotonic()


class _Never(_Base):
    """``userorcontrol`` (removed at the first poll) and run/fill events (kept, never fire)."""

    def poll(self) -> Trigger:
        return self._no(last=self.spec.is_user_or_control)


class _Periodic(_Base):
    def __init__(self, spec: TriggerSpec, ctx: TriggerContext) -> None:
        super().__init__(spec, ctx)
        self.due = ctx.clock.monotonic() + spec.seconds

    def poll(self) -> Trigger:
        now = self.ctx.clock.monotonic()
        if now < self.due:
            return self._no()
        timestamp = self.ctx.clock.now_ms() - int((now - self.due) * 1000)
        period = self.spec.seconds
        # Missed periods collapse into this one firing.
        self.due = (
            self.due + (math.floor((now - self.due) / period) + 1) * period if period else now
        )
        activity = self.ctx.activity.with_validity(timestamp, timestamp)
        return Trigger(TriggerType.PERIODIC, False, activity, timestamp, self.spec.text)

    def next_due(self) -> float | None:
        return self.due


def object_activity(info: ObjectInfo, provenance: str) -> Activity:
    """The activity of a listed object: its metadata and validity."""
    return Activity.from_metadata(info.metadata, provenance, info.valid_from, info.valid_until)


def _full_path(spec: TriggerSpec, activity: Activity) -> str:
    return f"{activity.provenance}/{spec.path}" if spec.database == "qcdb" else spec.path


def _server_filters(spec: TriggerSpec, activity: Activity) -> dict[str, str]:
    if spec.database != "qcdb":
        return {}
    filters = activity.filters()
    filters.pop("RunType", None)
    return filters


def _repository(spec: TriggerSpec, ctx: TriggerContext) -> Repository:
    return ctx.qcdb() if spec.database == "qcdb" else ctx.ccdb()


class _NewObject(_Base):
    def __init__(self, spec: TriggerSpec, ctx: TriggerContext) -> None:
        super().__init__(spec, ctx)
        self.path = _full_path(spec, ctx.activity)
        self.filters = ctx.activity.filters() if spec.database == "qcdb" else {}
        self.seen: tuple[int, str] = (0, "")
        self._newest()

    def _newest(self) -> ObjectInfo | None:
        listing = _repository(self.spec, self.ctx).latest(self.path, self.filters)
        found = [info for info in listing if info.path == self.path]
        if not found:
            return None
        newest = (found[0].last_modified, found[0].id)
        # qcflow: a new id with the same lastModified counts too (two versions in one ms).
        if newest[0] < self.seen[0] or newest == self.seen:
            return None
        self.seen = newest
        return found[0]

    def poll(self) -> Trigger:
        info = self._newest()
        if info is None:
            return self._no()
        activity = object_activity(info, self.ctx.activity.provenance)
        legacy = info.valid_until - info.valid_from > _LEGACY_VALIDITY_MS
        timestamp = info.valid_from if legacy else info.valid_until - 1
        return Trigger(TriggerType.NEW_OBJECT, False, activity, timestamp, self.spec.text)

    def next_due(self) -> float | None:
        return self.ctx.clock.monotonic()


class _Sequence(_Base):
    """A list of firings fixed at creation (``foreachobject``, ``foreachlatest``)."""

    def __init__(self, spec: TriggerSpec, ctx: TriggerContext) -> None:
        super().__init__(spec, ctx)
        path = _full_path(spec, ctx.activity)
        listing = _repository(spec, ctx).browse(path, _server_filters(spec, ctx.activity))
        self.triggers = self._select([info for info in listing if info.path == path])
        self.position = 0
        ctx.notes.append(f"{spec.text}: {len(self.triggers)} firings from {len(listing)} listed")

    def _matching(self, listing: list[ObjectInfo]) -> list[tuple[ObjectInfo, Activity]]:
        provenance = self.ctx.activity.provenance
        selected = [(info, object_activity(info, provenance)) for info in listing]
        if self.spec.database != "qcdb":
            return selected
        wanted = self.ctx.activity.with_validity(FULL.start, FULL.end)
        return [(info, act) for info, act in selected if wanted.matches(act)]

    def _select(self, listing: list[ObjectInfo]) -> list[Trigger]:
        raise NotImplementedError

    def poll(self) -> Trigger:
        if self.position >= len(self.triggers):
            return self._no(last=True)
        self.position += 1
        return self.triggers[self.position - 1]

    def lookahead(self, limit: int) -> list[Trigger]:
        return self.triggers[self.position : self.position + limit]


class _ForEachObject(_Sequence):
    def _select(self, listing: list[ObjectInfo]) -> list[Trigger]:
        # Listings come newest first, so a later position means an earlier upload: versions
        # stored in the same millisecond with the same validity then replay in upload order.
        matching = list(enumerate(self._matching(listing)))
        matching.sort(key=lambda item: (item[1][0].valid_from, item[1][0].created, -item[0]))
        chosen = [pair for _, pair in matching]
        out = []
        for i, (info, activity) in enumerate(chosen):
            cycle = info.metadata.get("CycleNumber")
            metadata = {"CycleNumber": cycle} if cycle is not None else {}
            last = i == len(chosen) - 1
            kind = TriggerType.FOR_EACH_OBJECT
            out.append(Trigger(kind, last, activity, info.valid_from, self.spec.text, metadata))
        return out


class _ForEachLatest(_Sequence):
    def _select(self, listing: list[ObjectInfo]) -> list[Trigger]:
        newest: dict[tuple[object, ...], tuple[ObjectInfo, Activity]] = {}
        for info, activity in self._matching(listing):
            known = newest.get(activity.key)
            if known is None or known[0].created < info.created:
                newest[activity.key] = (info, activity)
        chosen = sorted(newest.values(), key=_period_pass_run)
        kind = TriggerType.FOR_EACH_LATEST
        return [
            Trigger(kind, i == len(chosen) - 1, act, info.valid_from, self.spec.text)
            for i, (info, act) in enumerate(chosen)
        ]


def _period_pass_run(pair: tuple[ObjectInfo, Activity]) -> tuple[str, str, int, int]:
    info, activity = pair
    return (activity.period_name, activity.pass_name, activity.number, info.created)


_KINDS: dict[TriggerType, type[_Base]] = {
    TriggerType.ONCE: _Once,
    TriggerType.ALWAYS: _Always,
    TriggerType.USER_OR_CONTROL: _Never,
    TriggerType.START_OF_RUN: _Never,
    TriggerType.END_OF_RUN: _Never,
    TriggerType.START_OF_FILL: _Never,
    TriggerType.END_OF_FILL: _Never,
    TriggerType.PERIODIC: _Periodic,
    TriggerType.NEW_OBJECT: _NewObject,
    TriggerType.FOR_EACH_OBJECT: _ForEachObject,
    TriggerType.FOR_EACH_LATEST: _ForEachLatest,
}


def create_trigger(spec: TriggerSpec, ctx: TriggerContext) -> TriggerSource:
    """The pollable trigger for ``spec``; database triggers list or poll their store now."""
    source: TriggerSource = _KINDS[spec.type](spec, ctx)
    return source


def task_activity(activity: Activity, match_any_run_number: bool) -> Activity:
    """The activity triggers filter with: run 0 when ``matchAnyRunNumber``, full validity."""
    base = replace(activity, number=0) if match_any_run_number else activity
    return base.with_validity(FULL.start, FULL.end)
