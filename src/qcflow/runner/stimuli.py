"""A replayable log of what the engine feeds the scheduler (``--stimulus-log``), and its replay.

As dask distributed's ``stimulus_log``: the scheduler (:mod:`~qcflow.runner.scheduler`) is a
pure state machine, so its start, every event the engine hands it and every batch boundary are
enough to run it again, anywhere, without processes, clocks or a cluster, and get the same
decisions. The engine (:mod:`~qcflow.runner.engine`) records them when ``--stimulus-log FILE``
(or ``QCFLOW_STIMULUS_LOG``) is given; off, it calls the scheduler directly: nothing is
formatted, no hook is called.

Format: JSON lines, each with ``seq`` (0, 1, 2 … in file order) and ``kind``:

- ``init`` (first line): the scheduler's start, ``version``, ``settings`` (the limits,
  ``keep_going``, ``retry_backoff``, ``max_backoff``, ``max_overtakes``), per task (``tasks``, by
  node index) ``name``, ``needs``, ``cpu``, ``mem``, ``semaphore``, ``key`` (the policy's sort
  key) and ``max_attempts``, and the ``cached`` nodes (valid completion marker).
- stimuli, fed to the scheduler in file order: ``finished`` (rc 0) and ``failed`` (``task``,
  ``name``, ``rc``, ``reason``), ``retry-due`` (a backoff elapsed), ``stop`` (``reason``: a
  signal, a lost executor), ``estimate`` (``--dynamic-resources``: ``task``, ``cpu``, ``mem``,
  ``semaphore``).
- ``decide``: the scheduler handled the stimuli since the previous ``decide`` (none: the first
  pass, or a wake-up with nothing to report) and answered ``actions``, each ``start`` (``task``,
  ``name``, ``lane``, ``attempt``), ``kill`` or ``retry-later`` (``delay``, ``attempt``).
- notes, which the scheduler never sees (replay skips them): ``wake`` (the executor returned
  without an ended task: a signal, a memory report, a retry timer), ``signal`` (``signal``),
  ``kill-task`` (the engine ended a task itself: ``--enforce-memory``, a second signal) and
  ``lost`` (the executor went away).

Each line goes to the file in one ``write`` system call (the stimuli of a batch before the
scheduler handles them, its ``decide`` after), unbuffered: a runner that crashes or is killed
leaves every line it wrote, at worst with a torn last one, which :func:`read_log` drops. A batch
without its ``decide`` (the crash came before or inside the scheduler) is replayed last without
a recorded answer to compare: what it does is what the crashed runner did.

Replay: :func:`replay` feeds the log to a fresh scheduler and raises :class:`ReplayMismatch` at
the first decision that differs; from a shell::

    python -m qcflow.runner.replay stimuli.jsonl     # exit 0: the same decisions; 1: not
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from qcflow._types import JSONObject
from qcflow.errors import InvalidInput, QcflowError
from qcflow.runner import scheduler as sch
from qcflow.runner.policy import SortKey
from qcflow.runner.resources import Demand, ResourceLimits

__all__ = [
    "ENV",
    "Replay",
    "ReplayMismatch",
    "StimulusLog",
    "log_path",
    "read_log",
    "replay",
]

#: The environment variable that turns the log on when ``--stimulus-log`` is not given.
ENV = "QCFLOW_STIMULUS_LOG"
VERSION = 1
_NOTES = frozenset({"wake", "signal", "kill-task", "lost"})
_T = TypeVar("_T")


def log_path(given: Path | None) -> Path | None:
    """Where to write the log: ``given``, else ``$QCFLOW_STIMULUS_LOG`` (unset or empty: off)."""
    if given is not None:
        return given
    value = os.environ.get(ENV, "")
    return Path(value) if value else None


class StimulusLog:
    """The recording side: :meth:`start_state` and :meth:`handle` stand in for the scheduler's
    functions of the same names and write what goes in and out of them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seq = 0
        self._names: list[str] = []
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND | os.O_CLOEXEC
            self._fd: int | None = os.open(path, flags, 0o644)
        except OSError as err:
            msg = f"cannot write the stimulus log {path}: {err.strerror or err}"
            raise InvalidInput(msg) from None

    def start_state(
        self,
        needs: Sequence[Sequence[int]],
        demands: Sequence[Demand],
        keys: Sequence[SortKey],
        max_attempts: Sequence[int],
        settings: sch.Settings,
        cached: Iterable[int] = (),
        names: Sequence[str] = (),
    ) -> sch.State:
        """:func:`.scheduler.start_state`, recorded as the ``init`` line."""
        cached = sorted(cached)
        state = sch.start_state(needs, demands, keys, max_attempts, settings, cached, names)
        self._names = state.names
        tasks = [
            {
                "name": state.names[i],
                "needs": list(needs[i]),
                **_demand(demands[i]),
                "key": list(keys[i]),
                "max_attempts": max_attempts[i],
            }
            for i in range(len(needs))
        ]
        init = {"kind": "init", "version": VERSION, "settings": _settings(settings)}
        self._write([init | {"tasks": tasks, "cached": cached}])
        return state

    def handle(self, state: sch.State, events: Iterable[sch.Event]) -> list[sch.Action]:
        """:func:`.scheduler.handle`: its stimuli are written before it runs, its ``decide``
        after."""
        events = list(events)
        if events:
            self._write([self._event(e) for e in events])
        actions = sch.handle(state, events)
        self._write([{"kind": "decide", "actions": [self._action(a) for a in actions]}])
        return actions

    def note(self, kind: str, **fields: Any) -> None:
        """A line the scheduler does not see (``wake``, ``signal``, ``kill-task``, ``lost``)."""
        if kind not in _NOTES:
            msg = f"not a stimulus-log note: {kind!r}"
            raise ValueError(msg)
        if "task" in fields:
            fields["name"] = self._names[fields["task"]]
        self._write([{"kind": kind, **fields}])

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _write(self, records: list[JSONObject]) -> None:
        if self._fd is None:
            return
        lines = []
        for record in records:
            lines.append(json.dumps({"seq": self._seq, **record}, separators=(",", ":")) + "\n")
            self._seq += 1
        data = "".join(lines).encode()
        while data:  # os.write may write part of a large batch; the rest follows at once
            data = data[os.write(self._fd, data) :]

    def _event(self, event: sch.Event) -> JSONObject:
        if isinstance(event, sch.Finished):
            kind = "finished" if event.ok else "failed"
            return {
                "kind": kind,
                "task": event.task,
                "name": self._names[event.task],
                "rc": event.rc,
                "reason": event.reason,
            }
        if isinstance(event, sch.RetryDue):
            return {"kind": "retry-due", "task": event.task, "name": self._names[event.task]}
        if isinstance(event, sch.Stop):
            return {"kind": "stop", "reason": event.reason}
        return {
            "kind": "estimate",
            "task": event.task,
            "name": self._names[event.task],
            **_demand(event.demand),
        }

    def _action(self, action: sch.Action) -> JSONObject:
        out: JSONObject = {"task": action.task, "name": self._names[action.task]}
        if isinstance(action, sch.Start):
            return {"kind": "start", **out, "lane": action.lane, "attempt": action.attempt}
        if isinstance(action, sch.Kill):
            return {"kind": "kill", **out}
        return {"kind": "retry-later", **out, "delay": action.delay, "attempt": action.attempt}


def _demand(demand: Demand) -> JSONObject:
    return {"cpu": demand.cpu, "mem": demand.mem, "semaphore": demand.semaphore}


def _settings(settings: sch.Settings) -> JSONObject:
    """The settings and their limits, every field (a field added later is recorded without a
    change here; an older log without it replays with its default)."""
    return dataclasses.asdict(settings)


# -- reading and replaying ------------------------------------------------------------------------


class ReplayMismatch(QcflowError):
    """The replayed scheduler decided differently from the recorded one."""

    def __init__(self, seq: int, recorded: Sequence[sch.Action], replayed: Sequence[sch.Action]):
        self.seq, self.recorded, self.replayed = seq, list(recorded), list(replayed)
        super().__init__(
            f"decision seq {seq} differs: recorded {self.recorded}, replayed {self.replayed}"
        )


@dataclass
class Replay:
    """What a replay went through: each ``decide`` seq and the actions the scheduler took
    again (the same as recorded), the scheduler's final state, and whether the log ended with
    a batch never decided (``undecided``: replayed, nothing to compare) or a torn line."""

    state: sch.State
    decisions: list[tuple[int, list[sch.Action]]] = field(default_factory=list)
    stimuli: int = 0
    undecided: list[sch.Action] | None = None
    torn: bool = False

    def starts(self) -> list[str]:
        """The task names in the order the scheduler started them (attempts included)."""
        return [
            self.state.names[a.task]
            for _, actions in self.decisions
            for a in actions
            if isinstance(a, sch.Start)
        ]


def read_log(path: Path) -> tuple[list[JSONObject], bool]:
    """The log's records, and whether its last line was torn (cut off by a crash: dropped).

    ``InvalidInput`` (naming the line) for a file that cannot be read or is not a stimulus log.
    """
    try:
        data = path.read_bytes()
    except OSError as err:
        msg = f"cannot read the stimulus log {path}: {err.strerror or err}"
        raise InvalidInput(msg) from None
    lines = data.split(b"\n")
    torn = lines[-1] != b""  # a complete log ends with a newline
    records: list[JSONObject] = []
    for number, line in enumerate(lines[:-1], start=1):
        try:
            record = json.loads(line)
        except ValueError:
            msg = f"{path} line {number}: not JSON"
            raise InvalidInput(msg) from None
        if not isinstance(record, dict) or not isinstance(record.get("kind"), str):
            msg = f"{path} line {number}: not a stimulus-log record (no 'kind')"
            raise InvalidInput(msg)
        records.append(record)
    if not records or records[0]["kind"] != "init":
        msg = f"{path}: not a stimulus log (its first line is not an 'init' record)"
        raise InvalidInput(msg)
    return records, torn


def replay(path: Path) -> Replay:
    """Feed the log at ``path`` to a fresh scheduler; :class:`ReplayMismatch` at the first
    decision that differs from the recorded one, ``InvalidInput`` for a malformed log (an
    exception of the scheduler itself propagates: that is what a replay is for)."""
    records, torn = read_log(path)
    state = _decoded(f"{path} line 1", _start, records[0])
    result = Replay(state, torn=torn)
    pending: list[sch.Event] = []
    for number, record in enumerate(records[1:], start=2):
        where, kind = f"{path} line {number}", record["kind"]
        if kind == "decide":
            seq, recorded = _decoded(where, _decode_decision, record)
            replayed = sch.handle(state, pending)
            if replayed != recorded:
                raise ReplayMismatch(seq, recorded, replayed)
            result.decisions.append((seq, replayed))
            pending = []
        elif kind not in _NOTES:
            pending.append(_decoded(where, _decode_event, record, len(state.status)))
            result.stimuli += 1
    if pending:
        result.undecided = sch.handle(state, pending)
    return result


def _decoded(where: str, decode: Callable[..., _T], *args: Any) -> _T:
    """``decode(*args)``; a record it cannot read is the user's input: ``InvalidInput``."""
    try:
        return decode(*args)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as err:
        msg = f"{where}: not a valid stimulus-log record ({type(err).__name__}: {err})"
        raise InvalidInput(msg) from None


def _start(record: JSONObject) -> sch.State:
    if record.get("version") != VERSION:
        msg = f"version {record.get('version')!r}, this qcflow reads {VERSION}"
        raise ValueError(msg)
    fields = dict(record["settings"])
    lim = dict(fields.pop("limits"))
    hosts = tuple((float(c), float(m)) for c, m in lim.pop("hosts"))
    for value in (*fields.values(), *lim.values()):  # numbers and switches only
        if not isinstance(value, int | float):
            msg = f"setting {value!r} is not a number"
            raise TypeError(msg)
    settings = sch.Settings(ResourceLimits(**lim, hosts=hosts), **fields)
    tasks = record["tasks"]
    n = len(tasks)
    needs = [[_node(p, n) for p in t["needs"]] for t in tasks]
    keys: list[SortKey] = [(float(k[0]), float(k[1]), int(k[2])) for k in (t["key"] for t in tasks)]
    return sch.start_state(
        needs,
        [_decode_demand(t) for t in tasks],
        keys,
        [int(t["max_attempts"]) for t in tasks],
        settings,
        cached=[_node(i, n) for i in record["cached"]],
        names=[str(t["name"]) for t in tasks],
    )


def _node(value: Any, n: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < n:
        msg = f"task {value!r} is not a node index below {n}"
        raise ValueError(msg)
    return value


def _decode_demand(record: JSONObject) -> Demand:
    semaphore = record["semaphore"]
    return Demand(
        float(record["cpu"]), float(record["mem"]), None if semaphore is None else str(semaphore)
    )


def _decode_event(record: JSONObject, n: int) -> sch.Event:
    kind = record["kind"]
    if kind in ("finished", "failed"):
        rc = record["rc"]
        return sch.Finished(
            _node(record["task"], n),
            kind == "finished",
            str(record["reason"]),
            None if rc is None else int(rc),
        )
    if kind == "retry-due":
        return sch.RetryDue(_node(record["task"], n))
    if kind == "stop":
        return sch.Stop(str(record["reason"]))
    if kind == "estimate":
        return sch.Reestimated(_node(record["task"], n), _decode_demand(record))
    msg = f"unknown kind {kind!r}"
    raise ValueError(msg)


def _decode_decision(record: JSONObject) -> tuple[int, list[sch.Action]]:
    return int(record["seq"]), [_decode_action(a) for a in record["actions"]]


def _decode_action(record: JSONObject) -> sch.Action:
    kind, task = record["kind"], int(record["task"])
    if kind == "start" and record["lane"] in ("normal", "backfill"):
        return sch.Start(task, record["lane"], int(record["attempt"]))
    if kind == "kill":
        return sch.Kill(task)
    if kind == "retry-later":
        return sch.RetryLater(task, float(record["delay"]), int(record["attempt"]))
    msg = f"unknown action {kind!r}"
    raise ValueError(msg)
