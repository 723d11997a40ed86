"""Reaching a Dask cluster for ``--executor dask`` and ``--executor dask-local``.

:func:`open_cluster` connects to the scheduler at ``--scheduler-address`` and waits for
``--workers`` (default 1) workers, or starts a :class:`distributed.LocalCluster` here. The
:class:`Cluster` it yields tells the runner what the workers declare and makes the
:class:`~qcflow.runner.dask.executor.DaskExecutor`.

- **Resources**: workers declare ``CPU`` (cores) and ``MEM`` (MB) resources
  (``dask worker ADDRESS --resources "CPU=4,MEM=16000"``); a cluster where none does is an
  error. The run's limits default to the workers' total (:meth:`Cluster.run_options`), every
  task must fit one worker (:attr:`Cluster.hosts`, checked when planning) and the backfill lane
  is off: a worker runs nothing beyond what it declares, so there is nothing to backfill.
- **dask-local**: ``--workers`` processes (default: Dask's own split of the cores) share
  ``--cpu-limit`` and ``--mem-limit`` equally, each with enough threads that threads never
  limit what runs before resources do.
- **Retries stay qcflow's**: the scheduler's ``allowed-failures`` is 0 during the run (and
  comes back after, even when the runner dies: :mod:`~qcflow.runner.dask._scheduler`): a task
  whose worker dies fails at once and qcflow retries it, counted, instead of Dask re-running
  it unseen up to three times.
- **Remote workers are checked** before anything runs: each must import qcflow and read a probe
  file in the working directory. Tasks write their logs and markers where the runner reads
  them, so the file system must be shared.
- **Orphans**: the :class:`~qcflow.runner.dask._task.EndOrphans` worker plugin is registered.

``distributed`` is imported only when a Dask executor is chosen; without it the error says what
to install (:func:`import_distributed`). Dask's own log lines are silenced during the run: the
runner reports every failure itself.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import logging
import math
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from qcflow.errors import InvalidInput, QcflowError
from qcflow.runner.dask._workers import WorkerShare, worker_shares
from qcflow.runner.lock import STATE_DIR
from qcflow.runner.options import RunOptions, default_cpu_limit, default_mem_limit

if TYPE_CHECKING:
    from qcflow.runner.dask.executor import DaskExecutor

__all__ = ["INSTALL_HINT", "Cluster", "import_distributed", "open_cluster"]

INSTALL_HINT = "pip install 'qcflow[dask]'"


def import_distributed() -> ModuleType:
    """``distributed``, or a one-line error saying how to install it."""
    try:
        return importlib.import_module("distributed")
    except ImportError as err:
        msg = f"the Dask executors need the 'distributed' package: {INSTALL_HINT} ({err})"
        raise InvalidInput(msg) from err


class Cluster:
    """A connected client and what its workers declare; see the module docstring."""

    def __init__(self, client: Any, address: str, local: Any = None) -> None:
        self.client = client
        self.address = address
        #: The :class:`distributed.LocalCluster` started for ``dask-local``.
        self.local = local
        self.shares: list[WorkerShare] = []
        #: What the runner should say before it starts (partial resources, few threads, ...).
        self.warnings: list[str] = []
        #: Whether the scheduler keeps Dask's retries off for this run (:mod:`._scheduler`).
        self._holding = False

    @property
    def hosts(self) -> tuple[tuple[float, float], ...]:
        """``(cpu, mem)`` of every worker that declares both."""
        return tuple((s.cpu, s.mem) for s in self.shares if s.cpu > 0 and s.mem > 0)

    def run_options(self, options: RunOptions) -> RunOptions:
        """``options`` for this cluster: limits default to the workers' total, no backfill."""
        cpu = sum(c for c, _ in self.hosts) if options.cpu_limit is None else options.cpu_limit
        mem = sum(m for _, m in self.hosts) if options.mem_limit is None else options.mem_limit
        return dataclasses.replace(options, cpu_limit=cpu, mem_limit=mem, n_backfill=0)

    def executor(self, options: RunOptions) -> DaskExecutor:
        from qcflow.runner.dask.executor import DaskExecutor

        return DaskExecutor(
            self.client,
            address=self.address,
            grace=options.kill_grace,
            monitor_interval=options.monitor_interval,
            no_worker_timeout=options.dask_timeout,
        )

    # -- getting ready -----------------------------------------------------------------------

    def prepare(self, base: Path) -> None:
        """Read the workers, check them, take over retries, register the orphan plugin."""
        from qcflow.runner.dask._task import EndOrphans

        self.shares = worker_shares(self.client.scheduler_info(n_workers=-1))
        self._check_resources()
        if self.local is None:
            self._check_workers_see(base)
        from qcflow.runner.dask import _scheduler

        try:
            self.client.run_on_scheduler(_scheduler.hold, self.client.id)
            self._holding = True
        except Exception as err:  # e.g. a scheduler that cannot import qcflow
            self.warnings.append(
                f"cannot set allowed-failures to 0 on the Dask scheduler ({_message(err)}): "
                "a task whose worker dies may be run again by Dask, unseen by qcflow"
            )
        self.client.register_plugin(EndOrphans(), name=EndOrphans.name)

    def _check_resources(self) -> None:
        if not self.hosts:
            msg = (
                f"no worker of the Dask cluster at {self.address} declares CPU and MEM "
                'resources: start workers with --resources "CPU=4,MEM=16000" (MEM in MB)'
            )
            raise InvalidInput(msg)
        for share in self.shares:
            if share.cpu <= 0 or share.mem <= 0:
                self.warnings.append(
                    f"Dask worker {share.address} does not declare both CPU and MEM "
                    "resources: it gets no task that books them"
                )
            elif share.threads < share.cpu:
                self.warnings.append(
                    f"Dask worker {share.address} has {share.threads} threads for CPU="
                    f"{share.cpu:g}: at most {share.threads} tasks run there at once "
                    "(give it --nthreads of at least its CPU)"
                )

    def _check_workers_see(self, base: Path) -> None:
        """Every worker imports qcflow and reads a file the runner wrote in ``base``."""
        probe = base / STATE_DIR / f"dask-probe-{uuid.uuid4().hex}"
        probe.parent.mkdir(parents=True, exist_ok=True)
        text = uuid.uuid4().hex
        probe.write_text(text, encoding="utf-8")
        try:
            answers = self.client.run(_probe, str(probe), text, on_error="return")
        finally:
            probe.unlink()
        problems = [
            f"worker {address}: {_message(answer)}"
            for address, answer in sorted(answers.items())
            if answer
        ]
        if problems:
            head = (
                "the Dask workers cannot run these tasks: they need qcflow installed and "
                f"{base} on a file system shared with the runner"
            )
            raise InvalidInput("\n  ".join([head, *problems]))

    def close(self) -> None:
        """Give the scheduler its ``allowed-failures`` back; close the client (and cluster)."""
        from qcflow.runner.dask import _scheduler

        if self.local is None and self._holding and self.client.status == "running":
            with contextlib.suppress(Exception):  # the scheduler may be gone by now
                self.client.run_on_scheduler(_scheduler.release, self.client.id)
        self.client.close(timeout=5)
        if self.local is not None:
            self.local.close(timeout=10)


@contextmanager
def open_cluster(options: RunOptions, smallest_cpu: float = 1.0) -> Iterator[Cluster]:
    """Connect to (``dask``) or start (``dask-local``) the cluster, check it, close it after.

    ``smallest_cpu``: the smallest task's cpu booking, which sizes a local worker's threads.
    """
    distributed = import_distributed()
    with _quiet_logs():
        if options.executor == "dask-local":
            cluster = _start_local(distributed, options, smallest_cpu)
        else:
            cluster = _connect(distributed, options)
        try:
            cluster.prepare(options.base)
            yield cluster
        finally:
            cluster.close()


def _connect(distributed: ModuleType, options: RunOptions) -> Cluster:
    address = options.scheduler_address
    if not address:
        msg = "--executor dask needs --scheduler-address tcp://HOST:PORT"
        raise InvalidInput(msg)
    _check_address(address)
    timeout = options.dask_timeout
    try:
        client = distributed.Client(address, timeout=timeout, set_as_default=False)
    except ValueError as err:
        msg = f"--scheduler-address {address!r} is not a Dask address: {err}"
        raise InvalidInput(msg) from err
    except (OSError, TimeoutError) as err:
        msg = f"cannot reach the Dask scheduler at {address} within {timeout:g} s: {err}"
        raise QcflowError(msg) from err
    wanted = options.workers or 1
    try:
        client.wait_for_workers(wanted, timeout=timeout)
    except (OSError, TimeoutError) as err:
        joined = len(client.scheduler_info(n_workers=-1).get("workers", {}))
        client.close(timeout=5)
        msg = f"only {joined} of {wanted} Dask workers joined {address} within {timeout:g} s"
        raise QcflowError(msg) from err
    return Cluster(client, address)


def _check_address(address: str) -> None:
    """Refuse an address Dask cannot parse before a ``Client`` exists (a failed one lingers)."""
    from distributed.comm.addressing import parse_address
    from distributed.comm.registry import get_backend

    try:
        scheme, location = parse_address(address)
        backend = get_backend(scheme)
        if scheme in {"tcp", "tls", "ws", "wss"}:
            backend.get_address_host_port(location)
    except ValueError as err:
        msg = f"--scheduler-address {address!r} is not a Dask address: {err}"
        raise InvalidInput(msg) from None


def _start_local(distributed: ModuleType, options: RunOptions, smallest_cpu: float) -> Cluster:
    cpu = default_cpu_limit() if options.cpu_limit is None else options.cpu_limit
    mem = default_mem_limit() if options.mem_limit is None else options.mem_limit
    n = options.workers or _default_workers(cpu)
    per_cpu = cpu / n
    # A task holds a worker thread while it runs: enough threads that resources limit first.
    threads = math.ceil(per_cpu / min(1.0, max(smallest_cpu, 0.01)) - 1e-9)
    try:
        local = distributed.LocalCluster(
            n_workers=n,
            threads_per_worker=max(1, min(options.max_jobs, threads)),
            processes=True,
            resources={"CPU": per_cpu, "MEM": mem / n},
            memory_limit=0,  # the tasks' memory is booked by qcflow, not the worker's
            host="127.0.0.1",
            scheduler_port=0,
            dashboard_address=":0",  # its HTTP server always starts: any free port
            silence_logs=logging.CRITICAL,
            timeout=options.dask_timeout,
        )
    except Exception as err:  # whatever stopped it, say so in one line
        msg = f"cannot start a local Dask cluster of {n} workers: {err}"
        raise QcflowError(msg) from err
    client = distributed.Client(local, set_as_default=False)
    return Cluster(client, str(local.scheduler_address), local)


def _default_workers(cpu: float) -> int:
    from distributed.deploy.utils import nprocesses_nthreads

    processes: int = nprocesses_nthreads(max(1, int(cpu)))[0]
    return processes


@contextmanager
def _quiet_logs() -> Iterator[None]:
    """Dask's loggers (each has its own level) say only what is critical meanwhile."""
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] == "distributed"]
    loggers = [logging.getLogger(n) for n in ["distributed", *names]]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _probe(path: str, text: str) -> str:
    """On a worker: ``""`` when it reads ``text`` at ``path``, else what went wrong."""
    try:
        seen = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        return f"cannot read {path} ({err.strerror})"
    return "" if seen == text else f"{path} holds something else"


def _message(answer: object) -> str:
    if isinstance(answer, BaseException):
        return f"{type(answer).__name__}: {answer}"
    return str(answer)
