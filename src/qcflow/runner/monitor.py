"""Resource monitoring: CPU and memory of each running task's process tree, sampled in a thread.

Every ``interval`` seconds (default 1 s; the thread sleeps on an event in between, it does not
spin) each running task's tree (its main process and all descendants, via psutil) is measured:
CPU % (100 = one core; summed over the tree, from the change since the previous sample), PSS,
USS and swap in MB (summed; from ``/proc/<pid>/smaps_rollup``, so shared pages count once in PSS).
Each sample becomes one metric-log line; per task the peaks and the CPU mean are kept for the
summary and ``--dynamic-resources``. A task shorter than one interval has no sample.

The engine calls :meth:`Monitor.add` when a task starts and :meth:`Monitor.remove` when it ends;
both are cheap and thread-safe. A task added with ``limit_mb`` (``--enforce-memory``) whose tree's
PSS passes it in a sample is reported once to ``on_over(key, pid, pss_mb)``, called from the
sampling thread (the engine only records it and wakes its loop).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil

from qcflow.runner.logs import JsonLinesLog

__all__ = ["Monitor", "Usage"]

_MB = 1024.0 * 1024.0


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
                self._sample(watched)

    def _sample(self, watched: _Watched) -> None:
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
        try:
            root = watched.procs.get(watched.pid) or psutil.Process(watched.pid)
            members = [root, *root.children(recursive=True)]
        except psutil.Error:
            return []
        known = watched.procs
        fresh = {p.pid: known.get(p.pid, p) for p in members}
        for pid, proc in fresh.items():
            if pid not in known:
                with contextlib.suppress(psutil.Error):
                    proc.cpu_percent(None)  # first call starts the measurement
        watched.procs = fresh
        return list(fresh.values())
