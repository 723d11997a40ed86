"""Resource monitoring: CPU and memory of each running task's process tree, sampled in a thread.

Every ``interval`` seconds (default 1 s; the thread sleeps on an event in between, it does not
spin) each running task's tree (its main process and all descendants, found by following
``/proc/<pid>/task/<tid>/children``: the cost follows the tree, not the machine's process table
as psutil's ``children`` does) is measured:
CPU % (100 = one core; summed over the tree, from the change since the previous sample), PSS,
USS and swap in MB (summed; from ``/proc/<pid>/smaps_rollup``, so shared pages count once in PSS).
Each sample becomes one metric-log line; per task the peaks and the CPU mean are kept for the
summary and ``--dynamic-resources``. A task shorter than one interval has no sample.

A task whose tree did not change (same processes, PSS within 2 %) is sampled less often: every
2, 4, then 8 intervals (2 with ``limit_mb``), back to every interval at the first change. Two
long quiet tasks then cost the runner a few reads of ``/proc`` every 8 s instead of every second.

The engine calls :meth:`Monitor.add` when a task starts and :meth:`Monitor.remove` when it ends;
both are cheap and thread-safe. A task added with ``limit_mb`` (``--enforce-memory``) whose tree's
PSS passes it in a sample is reported once to ``on_over(key, pid, pss_mb)``, called from the
sampling thread (the engine only records it and wakes its loop).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported at the first sample (this thread's): not on every start-up
    import psutil

from qcflow.runner.logs import JsonLinesLog
from qcflow.runner.wakeup import sigchld_blocked

__all__ = ["Monitor", "Usage"]

_MB = 1024.0 * 1024.0
#: A quiet task is sampled every 1, 2, 4, 8 intervals (2 at most when its memory is enforced).
_MAX_EVERY = 8
_MAX_EVERY_ENFORCED = 2


@dataclass
class Usage:
    """What the monitor saw of one task attempt."""

    samples: int = 0
    cpu_sum: float = 0.0
    cpu_max: float = 0.0
    pss_max: float | None = None
    uss_max: float | None = None

    @property
    def cpu_mean(self) -> float | None:
        return self.cpu_sum / self.samples if self.samples else None


@dataclass
class _Watched:
    name: str
    pid: int
    usage: Usage = field(default_factory=Usage)
    procs: dict[int, psutil.Process] = field(default_factory=dict)
    key: int = 0
    limit_mb: float | None = None
    reported: bool = False
    #: Sampled every ``every`` rounds, from round ``due``; what the last sample saw.
    every: int = 1
    due: int = 0
    last: tuple[frozenset[int], float] | None = None


class Monitor:
    """A sampling thread; ``interval <= 0`` disables sampling (tasks still get empty usage)."""

    def __init__(
        self,
        log: JsonLinesLog,
        interval: float = 1.0,
        on_over: Callable[[int, int, float], None] | None = None,
    ) -> None:
        self.log = log
        self.interval = interval
        self.on_over = on_over
        self._watched: dict[int, _Watched] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._round = 0
        self._thread: threading.Thread | None = None
        if interval > 0:
            self._thread = threading.Thread(target=self._loop, name="qcflow-monitor", daemon=True)
            with sigchld_blocked():  # each task's SIGCHLD is the main thread's (see wakeup)
                self._thread.start()

    def add(self, key: int, name: str, pid: int, limit_mb: float | None = None) -> None:
        with self._lock:
            self._watched[key] = _Watched(name, pid, key=key, limit_mb=limit_mb)

    def remove(self, key: int) -> Usage:
        with self._lock:
            watched = self._watched.pop(key, None)
        return watched.usage if watched else Usage()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                current = list(self._watched.values())
            self._round += 1
            for watched in current:
                if self._round >= watched.due:
                    self._sample(watched)
                    watched.due = self._round + watched.every

    def _sample(self, watched: _Watched) -> None:
        import psutil

        tree = self._tree(watched)
        if not tree:
            return
        cpu = pss = uss = swap = 0.0
        for proc in tree:
            with contextlib.suppress(psutil.Error):
                cpu += proc.cpu_percent(None)
                mem = proc.memory_full_info()
                pss += getattr(mem, "pss", 0.0) / _MB
                uss += mem.uss / _MB
                swap += getattr(mem, "swap", 0.0) / _MB
        watched.every = next_every(watched, frozenset(p.pid for p in tree), pss)
        usage = watched.usage
        usage.samples += 1
        usage.cpu_sum += cpu
        usage.cpu_max = max(usage.cpu_max, cpu)
        usage.pss_max = max(usage.pss_max or 0.0, pss)
        usage.uss_max = max(usage.uss_max or 0.0, uss)
        self.log.write(
            "sample",
            iter=self._round,
            task=watched.name,
            pid=watched.pid,
            nprocs=len(tree),
            cpu_percent=round(cpu, 1),
            pss_mb=round(pss, 2),
            uss_mb=round(uss, 2),
            swap_mb=round(swap, 2),
        )
        limit = watched.limit_mb
        if limit is not None and pss > limit and not watched.reported and self.on_over:
            watched.reported = True
            self.on_over(watched.key, watched.pid, pss)

    @staticmethod
    def _tree(watched: _Watched) -> list[psutil.Process]:
        """The task's processes, reusing psutil objects so CPU % is measured between samples."""
        import psutil

        known = watched.procs
        pids = tree_pids(watched.pid)
        if pids is None:  # no /proc/<pid>/task/*/children: ask psutil
            try:
                root = known.get(watched.pid) or psutil.Process(watched.pid)
                pids = [watched.pid, *(c.pid for c in root.children(recursive=True))]
            except psutil.Error:
                return []
        fresh: dict[int, psutil.Process] = {}
        for pid in pids:
            proc = known.get(pid)
            if proc is None:
                try:
                    proc = psutil.Process(pid)
                    proc.cpu_percent(None)  # first call starts the measurement
                except psutil.Error:
                    continue
            fresh[pid] = proc
        watched.procs = fresh
        return list(fresh.values())


def tree_pids(pid: int) -> list[int] | None:
    """``pid`` and its descendants, from ``/proc``; ``[]`` when ``pid`` is gone, ``None`` when
    the kernel has no ``children`` files (then psutil is asked)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            threads = os.listdir(f"/proc/{current}/task")  # noqa: PTH208 (speed: plain calls)
        except OSError:
            if current == pid:
                # Gone, or no /proc at all (not Linux): psutil then.
                return [] if os.path.exists("/proc/self/task") else None  # noqa: PTH110
            continue
        found.append(current)
        for tid in threads:
            try:
                with open(f"/proc/{current}/task/{tid}/children", "rb") as file:  # noqa: PTH123
                    todo += [int(c) for c in file.read().split()]
            except FileNotFoundError:
                if not os.path.exists(f"/proc/{current}/task/{tid}"):  # noqa: PTH110
                    continue  # the thread ended
                return None
            except OSError:
                continue
    return found


def next_every(watched: _Watched, members: frozenset[int], pss: float) -> int:
    """How many rounds until the task's next sample: doubled while nothing changes."""
    last, watched.last = watched.last, (members, pss)
    if last is None or last[0] != members or abs(pss - last[1]) > 0.02 * max(last[1], 1.0):
        return 1
    most = _MAX_EVERY if watched.limit_mb is None else _MAX_EVERY_ENFORCED
    return min(watched.every * 2, most)
