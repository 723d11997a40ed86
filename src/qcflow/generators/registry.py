"""The registry of QC post-processing workflows: data (TOML or JSON), not code.

Each entry names a task, the QC configuration it runs, what it needs, and whether it is
restricted to one run, period and pass (O2DPG's ``runSpecific`` / ``periodSpecific`` /
``passSpecific``). The default registry, ``qcflow/data/qc-postproc.toml``, holds O2DPG's four
workflows (example, EMC, MCH, ZDC) pointing at qcflow's own configuration files.

Loading reports every problem at once, each naming the file and entry: a TOML/JSON syntax error,
an unknown key (with the closest known one), a wrong type, a duplicate name, a need that names no
entry. Keys may be written ``run-specific`` or ``run_specific``.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qcflow._hints import closest, did_you_mean, suggestion
from qcflow.errors import InvalidInput

__all__ = ["DEFAULT_REGISTRY", "Entry", "load_registry"]

DEFAULT_REGISTRY = Path(__file__).resolve().parents[1] / "data" / "qc-postproc.toml"

_REQUIRED = ("name", "config", "run-specific", "period-specific", "pass-specific")
_OPTIONAL = ("o2-config", "needs", "description")
_FLAGS = ("run-specific", "period-specific", "pass-specific")
# A task name is also a log file name and a word on the taskwrapper's command line.
_NAME = re.compile(r"[A-Za-z0-9_.+-]+")


@dataclass(frozen=True)
class Entry:
    """One post-processing workflow of the registry."""

    name: str
    config: str
    o2_config: str
    needs: tuple[str, ...]
    run_specific: bool
    period_specific: bool
    pass_specific: bool
    description: str
    #: The registry file this entry comes from (relative configs are relative to its folder).
    registry: Path


def load_registry(path: str | Path | None = None) -> list[Entry]:
    """Read and check a registry file (``None``: the default one); raise on any problem."""
    file = Path(path) if path is not None else DEFAULT_REGISTRY
    document = _read(file)
    problems: list[str] = []
    raw_entries = _entries_of(document, problems)
    entries = [e for i, raw in enumerate(raw_entries) if (e := _entry(raw, i, file, problems))]
    _check_names(entries, problems)
    if len(problems) == 1:  # the usual case, a typo: one line
        msg = f"registry {file}: {problems[0]}"
        raise InvalidInput(msg)
    if problems:
        msg = "\n  ".join([f"registry {file}: {len(problems)} problems", *problems])
        raise InvalidInput(msg)
    return entries


def _read(file: Path) -> Any:
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as err:
        msg = f"cannot read registry {file}: {err.strerror or err}"
        raise InvalidInput(msg) from err
    try:
        if file.suffix == ".json":
            return json.loads(text)
        return tomllib.loads(text)
    except json.JSONDecodeError as err:
        msg = f"registry {file}: not valid JSON: {err.msg} at line {err.lineno}"
        raise InvalidInput(msg) from err
    except tomllib.TOMLDecodeError as err:
        msg = f"registry {file}: not valid TOML: {err}"
        raise InvalidInput(msg) from err


def _entries_of(document: Any, problems: list[str]) -> list[Any]:
    if not isinstance(document, dict):
        problems.append("the file must hold a 'workflow' list of entries")
        return []
    misspelt = False
    for key in document:
        if key != "workflow":
            hint = did_you_mean(key, ["workflow"])
            misspelt = misspelt or bool(hint)
            problems.append(f"unknown top-level key {key!r}{hint}")
    entries = document.get("workflow")
    if "workflow" not in document and misspelt:
        return []  # the misspelt key says it all
    if not isinstance(entries, list) or not entries:
        problems.append("'workflow' must be a non-empty list of entries ([[workflow]] in TOML)")
        return []
    return entries


def _entry(raw: Any, index: int, file: Path, problems: list[str]) -> Entry | None:
    if not isinstance(raw, dict):
        problems.append(f"workflow[{index}]: an entry must be a table/object, got {raw!r}")
        return None
    values = {key.replace("_", "-"): value for key, value in raw.items()}
    label = f"workflow[{index}]" + (
        f" ({values['name']})" if isinstance(values.get("name"), str) else ""
    )
    before = len(problems)
    problems += _key_problems(values, label, spelt={k.replace("_", "-"): k for k in raw})
    for key in ("name", "config", "o2-config", "description"):
        if key in values and (not isinstance(values[key], str) or not values[key].strip()):
            problems.append(f"{label}: {key!r} must be a non-empty string, got {values[key]!r}")
    name = values.get("name")
    if isinstance(name, str) and name.strip() and not _NAME.fullmatch(name):
        problems.append(f"{label}: 'name' may hold only letters, digits and '_.+-', got {name!r}")
    for key in _FLAGS:
        if key in values and not isinstance(values[key], bool):
            problems.append(f"{label}: {key!r} must be true or false, got {values[key]!r}")
    needs = values.get("needs", [])
    if not isinstance(needs, list) or not all(isinstance(n, str) for n in needs):
        problems.append(f"{label}: 'needs' must be a list of entry names, got {needs!r}")
    if len(problems) > before:
        return None
    return Entry(
        name=values["name"],
        config=values["config"],
        o2_config=values.get("o2-config", values["config"]),
        needs=tuple(needs),
        run_specific=values["run-specific"],
        period_specific=values["period-specific"],
        pass_specific=values["pass-specific"],
        description=values.get("description", ""),
        registry=file,
    )


def _key_problems(values: dict[str, Any], label: str, spelt: dict[str, str]) -> list[str]:
    """Unknown and missing keys; a misspelt key is one problem, not also a missing one.

    ``spelt`` maps each key of ``values`` to the key as the file writes it.
    """
    known = (*_REQUIRED, *_OPTIONAL)
    missing = [key for key in _REQUIRED if key not in values]
    problems = []
    for key in values:
        if key not in known:
            match = closest(key, missing) or closest(key, known)
            if match in missing:
                missing.remove(match)
            problems.append(f"{label}: unknown key {spelt[key]!r}{suggestion(match)}")
    problems += [f"{label}: missing key {key!r}" for key in missing]
    return problems


def _check_names(entries: list[Entry], problems: list[str]) -> None:
    names = [e.name for e in entries]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"entry name {name!r} is used more than once")
    for entry in entries:
        for need in entry.needs:
            if need not in names:
                hint = did_you_mean(need, names)
                problems.append(f"workflow {entry.name!r}: needs unknown entry {need!r}{hint}")
