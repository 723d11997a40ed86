"""CPU and memory booking, the backfill lane and named semaphores: three small functions.

A task *books* its declared ``cpu`` (cores) and ``mem`` (MB) while it runs. The **normal lane**
admits a task when the normal bookings stay within the limits. When it does not, the **backfill
lane** (O2DPG's second lane, run at nice +19) admits it if fewer than ``n_backfill`` backfill tasks
run, its own bookings stay within the limits and normal + backfill bookings stay within
``backfill_factor`` (1.5) times the limits. That total bound holds for the normal lane too, so
the machine is never booked beyond 1.5 times the limits (O2DPG checks it for backfill only and
can drift past it when normal tasks start next to running backfill ones). A task holding a
named ``semaphore`` excludes every other task naming it, in either lane. ``max_jobs``
(``-jmax``) bounds both lanes together.

When tasks run on several hosts (the workers of a Dask cluster), the limits are the hosts' total
and :attr:`ResourceLimits.hosts` lists what each host has: a task must also fit one host alone
(:meth:`ResourceLimits.fits_alone`), since no task spans hosts; placing it on one is the
cluster's job.

The booking is plain data; :func:`lane_for` asks, :func:`acquire` and :func:`release` change it.
Comparisons allow a tiny tolerance so that ten bookings of 0.1 core fit one core.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Booking", "Demand", "Lane", "ResourceLimits", "acquire", "lane_for", "release"]

Lane = Literal["normal", "backfill"]
_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Demand:
    """What one task books while it runs; tasks with equal demands are interchangeable."""

    cpu: float = 1.0
    mem: float = 500.0
    semaphore: str | None = None


@dataclass(frozen=True, slots=True)
class ResourceLimits:
    """The machine share the runner may book."""

    cpu: float
    mem: float
    max_jobs: int = 100
    n_backfill: int = 1
    backfill_factor: float = 1.5
    #: ``(cpu, mem)`` of each host when tasks run on several; empty: one machine.
    hosts: tuple[tuple[float, float], ...] = ()

    def fits_alone(self, demand: Demand) -> bool:
        """Whether the task could ever start: it fits the normal lane of an idle machine
        (and one host of it)."""
        if not _within(demand.cpu, demand.mem, self.cpu, self.mem):
            return False
        return not self.hosts or any(_within(demand.cpu, demand.mem, c, m) for c, m in self.hosts)

    def clamp(self, demand: Demand) -> Demand:
        """The largest part of ``demand`` that fits alone: on the host keeping most of it."""
        cpu, mem = min(demand.cpu, self.cpu), min(demand.mem, self.mem)
        if self.hosts:

            def kept(host: tuple[float, float]) -> float:
                return min(host[0], cpu) / max(cpu, _EPS) + min(host[1], mem) / max(mem, _EPS)

            best = max(self.hosts, key=kept)
            cpu, mem = min(cpu, best[0]), min(mem, best[1])
        return Demand(cpu, mem, demand.semaphore)


def _within(cpu: float, mem: float, cpu_limit: float, mem_limit: float) -> bool:
    return cpu <= cpu_limit + _EPS and mem <= mem_limit + _EPS


@dataclass(slots=True)
class Booking:
    """What running tasks hold, per lane, and which semaphores are taken."""

    cpu: float = 0.0
    mem: float = 0.0
    jobs: int = 0
    backfill_cpu: float = 0.0
    backfill_mem: float = 0.0
    backfill_jobs: int = 0
    semaphores: set[str] = field(default_factory=set)

    @property
    def running(self) -> int:
        return self.jobs + self.backfill_jobs


def lane_for(
    booking: Booking, limits: ResourceLimits, demand: Demand, *, allow_normal: bool = True
) -> Lane | None:
    """The lane that would admit ``demand`` now, or ``None`` if it has to wait."""
    if booking.running >= limits.max_jobs:
        return None
    if demand.semaphore is not None and demand.semaphore in booking.semaphores:
        return None
    total_cpu = booking.cpu + booking.backfill_cpu + demand.cpu
    total_mem = booking.mem + booking.backfill_mem + demand.mem
    factor = limits.backfill_factor
    within = total_cpu <= factor * limits.cpu + _EPS and total_mem <= factor * limits.mem + _EPS
    if not within:
        return None
    if (
        allow_normal
        and booking.cpu + demand.cpu <= limits.cpu + _EPS
        and booking.mem + demand.mem <= limits.mem + _EPS
    ):
        return "normal"
    if booking.backfill_jobs >= limits.n_backfill:
        return None
    own_cpu = booking.backfill_cpu + demand.cpu <= limits.cpu + _EPS
    own_mem = booking.backfill_mem + demand.mem <= limits.mem + _EPS
    return "backfill" if own_cpu and own_mem else None


def acquire(booking: Booking, demand: Demand, lane: Lane) -> None:
    if demand.semaphore is not None:
        booking.semaphores.add(demand.semaphore)
    if lane == "normal":
        booking.cpu += demand.cpu
        booking.mem += demand.mem
        booking.jobs += 1
    else:
        booking.backfill_cpu += demand.cpu
        booking.backfill_mem += demand.mem
        booking.backfill_jobs += 1


def release(booking: Booking, demand: Demand, lane: Lane) -> None:
    if demand.semaphore is not None:
        booking.semaphores.discard(demand.semaphore)
    if lane == "normal":
        booking.jobs -= 1
        # Reset exactly when the lane empties so rounding errors never accumulate.
        booking.cpu = booking.cpu - demand.cpu if booking.jobs else 0.0
        booking.mem = booking.mem - demand.mem if booking.jobs else 0.0
    else:
        booking.backfill_jobs -= 1
        booking.backfill_cpu = booking.backfill_cpu - demand.cpu if booking.backfill_jobs else 0.0
        booking.backfill_mem = booking.backfill_mem - demand.mem if booking.backfill_jobs else 0.0
