"""The QC post-processing workflow generator: O2DPG's ``o2dpg_qc_postproc_workflow.py``, from data.

For each registry entry it creates one task, as the original does: ``cwd="QC"``, label ``QC``,
1 CPU, 2000 MB, ``needs`` from the registry, and the command::

    <engine> --config <config> --override-values "qc.config.database.host=<url>;
        qc.config.Activity.type=PHYSICS;qc.config.Activity.number=<run or 0>;
        qc.config.Activity.periodName=<period or empty>;
        qc.config.Activity.passName=<pass or empty>;"

(one line), where run, period and pass are used only by entries that are specific to them.
``engine="o2-qc"`` writes O2DPG's exact command (DPL options, taskwrapper) for sites with O2;
``engine="qcflow"`` runs ``qcflow qc`` and needs nothing but qcflow.

Differences from the original, on purpose: arguments are checked (a run number must be a number;
names may not contain characters that would break the command line); ``--noIPC`` has an effect
(``--no-IPC`` is passed on); the default QCDB is the embedded store, made absolute because tasks
run in ``QC/`` (``o2-qc`` keeps O2DPG's default, ``ccdb-test.cern.ch:8080``); ``only`` selects
entries and pulls in the entries they need.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

from qcflow import __version__
from qcflow._types import JSONObject
from qcflow.errors import InvalidInput
from qcflow.generators.registry import DEFAULT_REGISTRY, Entry, load_registry
from qcflow.qcdb.open import absolute_url, is_remote
from qcflow.workflow.model import Workflow
from qcflow.workflow.o2dpg import createTask, prepare_stages
from qcflow.workflow.validate import validate

__all__ = [
    "ENGINES",
    "O2DPG_DEFAULT_QCDB",
    "Engine",
    "generate",
    "override_values",
    "qc_postprocessing_workflow",
    "select_entries",
]

Engine = Literal["qcflow", "o2-qc"]
ENGINES: tuple[Engine, ...] = ("qcflow", "o2-qc")
O2DPG_DEFAULT_QCDB = "ccdb-test.cern.ch:8080"
QC_DIR = "QC"
DPL_OPTIONS = "-b --run --driver-client-backend ws:// "

# Characters that would end the quoted override string, split it, or be expanded by bash.
_UNSAFE = re.compile(r"[\s;\"'`$\\]")
# ASCII digits only: str.isdigit() accepts '²', which int() refuses.
_RUN = re.compile(r"[0-9]+")


def override_values(entry: Entry, run: int, period: str, pass_name: str, qcdb_url: str) -> str:
    """The ``--override-values "…"`` argument, built exactly as O2DPG's generator builds it."""
    parts = [
        f"qc.config.database.host={qcdb_url};",
        "qc.config.Activity.type=PHYSICS;",
        f"qc.config.Activity.number={run if entry.run_specific else 0};",
        f"qc.config.Activity.periodName={period if entry.period_specific else ''};",
        f"qc.config.Activity.passName={pass_name if entry.pass_specific else ''};",
    ]
    return '--override-values "' + "".join(parts) + '"'


def select_entries(entries: Sequence[Entry], only: Iterable[str] | None) -> list[Entry]:
    """The entries named in ``only`` plus everything they need, in registry order."""
    if only is None:
        return list(entries)
    by_name = {e.name: e for e in entries}
    wanted = [name.strip() for name in only if name.strip()]
    if not wanted:
        msg = f"--only names no entry; the registry has {sorted(by_name)}"
        raise InvalidInput(msg)
    unknown = [name for name in wanted if name not in by_name]
    if unknown:
        msg = f"--only names unknown entries {unknown}; the registry has {sorted(by_name)}"
        raise InvalidInput(msg)
    keep: set[str] = set()
    stack = list(wanted)
    while stack:
        name = stack.pop()
        if name not in keep:
            keep.add(name)
            stack.extend(by_name[name].needs)
    return [e for e in entries if e.name in keep]


def qc_postprocessing_workflow(
    run: int | str = 0,
    period: str = "",
    pass_name: str = "",
    qcdb_url: str | None = None,
    registry: str | Path | Sequence[Entry] | None = None,
    *,
    engine: Engine = "qcflow",
    only: Iterable[str] | None = None,
    no_ipc: bool = False,
) -> list[JSONObject]:
    """The workflow's tasks as O2DPG task dicts, ready for ``dump_workflow`` or inclusion.

    ``registry`` is a registry file, already loaded entries, or ``None`` for the default one.
    """
    if engine not in ENGINES:
        msg = f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}"
        raise InvalidInput(msg)
    run_number = _run_number(run)
    for flag, value in (("--periodName", period), ("--passName", pass_name)):
        _check_safe(flag, value)
    url = _qcdb_url(qcdb_url, engine)
    entries = (
        load_registry(registry)
        if registry is None or isinstance(registry, str | Path)
        else registry
    )
    tasks = []
    for entry in select_entries(entries, only):
        task = createTask(
            name=entry.name, needs=entry.needs, cwd=QC_DIR, lab=["QC"], cpu=1, mem="2000"
        )
        overrides = override_values(entry, run_number, period, pass_name, url)
        task["cmd"] = _command(entry, engine, overrides, no_ipc=no_ipc)
        tasks.append(task)
    return tasks


def _command(entry: Entry, engine: Engine, overrides: str, *, no_ipc: bool) -> str:
    if engine == "o2-qc":
        options = DPL_OPTIONS + (" --no-IPC " if no_ipc else "")
        return f"o2-qc --config {_config_uri(entry, entry.o2_config)} " + overrides + " " + options
    command = f"qcflow qc --config {_config_uri(entry, entry.config)} {overrides}"
    return command + (" --no-IPC" if no_ipc else "")


def _config_uri(entry: Entry, config: str) -> str:
    """``json://…`` for the config; variables are kept for the shell, plain paths made absolute."""
    path = config.removeprefix("json://")
    if "$" in path:
        return f"json://{path}"
    file = Path(path).expanduser()
    if not file.is_absolute():
        file = entry.registry.parent / file
    file = file.resolve()
    if not file.is_file():
        msg = (
            f"registry {entry.registry}: workflow {entry.name!r}: config file {file} does not exist"
        )
        raise InvalidInput(msg)
    return "json://" + shlex.quote(str(file))


def _run_number(run: int | str) -> int:
    text = str(run).strip()
    if not _RUN.fullmatch(text):
        msg = f"--run must be a run number (0 for any run), got {run!r}"
        raise InvalidInput(msg)
    return int(text)


def _check_safe(flag: str, value: str) -> None:
    if _UNSAFE.search(value):
        msg = (
            f"{flag} {value!r}: spaces, quotes, ';', '$' and '\\' cannot be carried by the command"
        )
        raise InvalidInput(msg)


def _qcdb_url(qcdb_url: str | None, engine: Engine) -> str:
    if engine == "o2-qc":
        url = qcdb_url or O2DPG_DEFAULT_QCDB
        if not is_remote(url):
            msg = f"--qcdbUrl {url!r}: o2-qc needs a CCDB server (host:port), not an embedded store"
            raise InvalidInput(msg)
    else:
        url = absolute_url(qcdb_url)
    _check_safe("--qcdbUrl", url)
    return url


def generate(
    output: str | Path,
    *,
    run: int | str = 0,
    period: str = "",
    pass_name: str = "",
    qcdb_url: str | None = None,
    registry: str | Path | None = None,
    engine: Engine = "qcflow",
    only: Iterable[str] | None = None,
    no_ipc: bool = False,
) -> tuple[Path, Workflow]:
    """Build, validate and atomically write the workflow; create ``QC/`` as O2DPG does.

    Nothing is written when anything is wrong.
    """
    tasks = qc_postprocessing_workflow(
        run, period, pass_name, qcdb_url, registry, engine=engine, only=only, no_ipc=no_ipc
    )
    meta = {
        "generator": "qcflow generate qc-postproc",
        "qcflow_version": __version__,
        "engine": engine,
        "run": _run_number(run),
        "periodName": period,
        "passName": pass_name,
    }
    stages = prepare_stages(tasks, taskwrapper=engine == "o2-qc")
    workflow = Workflow.from_json({"stages": stages, "meta": meta}, source=str(output))
    validate(workflow).raise_for_errors(f"workflow generated from {registry or DEFAULT_REGISTRY}")
    created = _make_qc_dir()
    try:
        written = workflow.write(output)
    except InvalidInput:
        if created:
            Path(QC_DIR).rmdir()  # leave the directory as it was
        raise
    return written, workflow


def _make_qc_dir() -> bool:
    """Create ``QC/`` (the tasks' ``cwd``) as O2DPG does; return whether it was created."""
    qc_dir = Path(QC_DIR)
    if qc_dir.is_dir():
        return False
    try:
        qc_dir.mkdir()
    except OSError as err:
        msg = f"cannot create the tasks' directory {qc_dir.resolve()}: {err.strerror or err}"
        raise InvalidInput(msg) from err
    return True
