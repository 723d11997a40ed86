"""What Dask workers declare, and what the runner sends them of a job's environment.

- :func:`worker_shares`: each worker's ``CPU`` (cores) and ``MEM`` (MB) resources and threads,
  from ``client.scheduler_info()``; the runner plans against them and the executor checks that
  some worker can still hold each job.
- :func:`shipped_env`: a task on a worker sees the worker's own environment updated with the
  job's (the runner's plus the workflow's), except the variables describing the runner's host,
  session or batch job (:data:`HOST_VARIABLES`): the worker keeps its own of those, unless the
  workflow sets them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["HOST_VARIABLES", "WorkerShare", "shipped_env", "worker_shares"]

#: Variables (and prefixes, ending in ``_``) of the runner's environment a worker keeps its own of.
HOST_VARIABLES = (
    "HOSTNAME",
    "HOST",
    "PWD",
    "OLDPWD",
    "SHLVL",
    "_",
    "TMPDIR",
    "TMP",
    "TEMP",
    "DISPLAY",
    "XDG_RUNTIME_DIR",
    "CUDA_VISIBLE_DEVICES",
    "SLURM_",
    "_CONDOR_",
    "CONDOR_",
    "PBS_",
    "LSB_",
    "SGE_",
    "SSH_",
    "OMPI_",
    "PMI_",
)
_HOST_NAMES = frozenset(v for v in HOST_VARIABLES if not v.endswith("_") or v == "_")
_HOST_PREFIXES = tuple(v for v in HOST_VARIABLES if v.endswith("_") and v != "_")


@dataclass(frozen=True, slots=True)
class WorkerShare:
    """What one Dask worker declares: ``CPU`` (cores) and ``MEM`` (MB) resources, threads."""

    address: str
    cpu: float
    mem: float
    threads: int

    def holds(self, cpu: float, mem: float) -> bool:
        return cpu <= self.cpu + 1e-9 and mem <= self.mem + 1e-9


def worker_shares(info: Mapping[str, Any]) -> list[WorkerShare]:
    """The workers of ``client.scheduler_info()``, with what each declares."""
    shares = []
    for address, worker in sorted(info.get("workers", {}).items()):
        resources = worker.get("resources") or {}
        cpu, mem = float(resources.get("CPU", 0.0)), float(resources.get("MEM", 0.0))
        shares.append(WorkerShare(address, cpu, mem, int(worker.get("nthreads", 0))))
    return shares


def shipped_env(env: Mapping[str, str], runner_env: Mapping[str, str]) -> dict[str, str]:
    """What a job's environment sets on top of a worker's: all of it but the runner's own host
    variables (:data:`HOST_VARIABLES`); one the workflow changes is sent whatever its name."""
    return {
        k: v
        for k, v in env.items()
        if not ((k in _HOST_NAMES or k.startswith(_HOST_PREFIXES)) and runner_env.get(k) == v)
    }
