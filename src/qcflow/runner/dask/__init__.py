"""The Dask executors (``--executor dask`` and ``dask-local``): one future per job on a cluster.

Map (the runner's side first, the workers' and scheduler's after)::

    cluster      connect to or start a cluster, check its workers, make the executor
      └─> executor   DaskExecutor: one future per job, with resources; kills sent in batches
            └─> _task    on a worker: the job's process group, ended with it
    _workers     what workers declare (CPU, MEM, threads); the environment sent to them
    _scheduler   on the scheduler: Dask's own retries off while a run holds them

- :mod:`~qcflow.runner.dask.cluster` -- :func:`open_cluster`, :class:`Cluster`; the only module
  the rest of the runner imports (from :mod:`~qcflow.runner.api`).
- :mod:`~qcflow.runner.dask.executor` -- :class:`DaskExecutor`, the executor protocol of
  :mod:`~qcflow.runner.executor` over Dask futures.
- :mod:`~qcflow.runner.dask._task` -- what a worker runs for a job (``run_task``) and how the
  runner ends it (``signal_tasks``, the ``EndOrphans`` plugin).
- :mod:`~qcflow.runner.dask._workers` -- :func:`worker_shares`, :func:`shipped_env`.
- :mod:`~qcflow.runner.dask._scheduler` -- the ``RetriesOff`` scheduler plugin.

``executor``, ``_task`` and ``_scheduler`` import ``distributed``; this package and ``cluster``
do not (``cluster`` imports the others only when a Dask executor is chosen), so importing it
costs nothing when Dask is not installed.
"""

from __future__ import annotations

from qcflow.runner.dask.cluster import INSTALL_HINT, Cluster, import_distributed, open_cluster

__all__ = ["INSTALL_HINT", "Cluster", "import_distributed", "open_cluster"]
