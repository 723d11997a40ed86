"""Update policies: when a check or aggregator runs, given what was published since it last ran.

QC's revision model, made explicit: a :class:`RevisionClock` stamps each published object with
the current revision and moves on after each round; an actor (check or aggregator) remembers the
revision it last ran at. "Updated" means stamped after the actor's last run.

| policy | ready when |
|---|---|
| ``OnAny`` (default) | any listed object was updated |
| ``OnAnyNonZero`` | every listed object was seen once (remembered), then any updated |
| ``OnAll`` | every listed object was seen and updated |
| ``OnEachSeparately`` | like ``OnAny``; a check then makes one quality object per object |
| ``OnGlobalAny`` | always (QC's implicit policy when no object is listed) |

Names are case-sensitive, as in QC; an unknown one is :class:`~qcflow.errors.InvalidInput`.
A trailing ``/`` in a listed name is ignored. With no object listed (``names=None``) any update
of the actor's sources makes it ready, whatever the policy (QC switches to ``OnGlobalAny``).

Example::

    clock = RevisionClock()
    policy = UpdatePolicy("OnAll", ("RecPP/h1", "RecPP/h2"))
    clock.publish(["RecPP/h1"]);  policy.is_ready(clock)  # False: h2 never came
    clock.publish(["RecPP/h2"]);  policy.is_ready(clock)  # True
    policy.mark_run(clock);       policy.is_ready(clock)  # False until both are published again
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from qcflow._hints import did_you_mean
from qcflow.errors import InvalidInput

__all__ = ["POLICIES", "RevisionClock", "UpdatePolicy", "check_policy_name"]

POLICIES: tuple[str, ...] = ("OnAny", "OnAnyNonZero", "OnAll", "OnEachSeparately", "OnGlobalAny")


def check_policy_name(name: str, where: str = "policy") -> str:
    """``name`` if it is a policy, else :class:`InvalidInput` naming ``where``."""
    if name not in POLICIES:
        msg = f"{where}: unknown policy {name!r}{did_you_mean(name, POLICIES)}; "
        msg += f"choose one of {', '.join(POLICIES)}"
        raise InvalidInput(msg)
    return name


@dataclass
class RevisionClock:
    """Stamps published objects; one instance per engine run."""

    revision: int = 1
    stamps: dict[str, int] = field(default_factory=dict)

    def publish(self, names: Iterable[str]) -> None:
        """Record that these objects were (re)published, then start a new round."""
        for name in names:
            self.stamps[name.rstrip("/")] = self.revision
        self.revision += 1


@dataclass
class UpdatePolicy:
    """The readiness state of one actor."""

    kind: str
    #: The objects the actor listens to; ``None`` means all objects of its sources.
    names: tuple[str, ...] | None = None
    last_run: int = 0
    _all_seen: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        check_policy_name(self.kind)
        if self.names is not None:
            self.names = tuple(n.rstrip("/") for n in self.names)

    def _updated(self, clock: RevisionClock, name: str) -> bool:
        return clock.stamps.get(name, 0) > self.last_run

    def is_ready(self, clock: RevisionClock, sources: Iterable[str] = ()) -> bool:
        """Should the actor run now? ``sources`` are the objects it could see (``names=None``)."""
        if self.kind == "OnGlobalAny":
            return True
        if self.names is None:
            return any(self._updated(clock, n) for n in sources)
        seen = [n in clock.stamps for n in self.names]
        updated = [self._updated(clock, n) for n in self.names]
        if self.kind == "OnAll":
            return all(seen) and all(updated)
        if self.kind == "OnAnyNonZero":
            self._all_seen = self._all_seen or all(seen)
            return self._all_seen and any(updated)
        return any(updated)  # OnAny, OnEachSeparately

    def mark_run(self, clock: RevisionClock) -> None:
        """The actor ran: only objects published from now on count as updated."""
        self.last_run = clock.revision - 1
