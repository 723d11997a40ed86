"""Which tasks a run covers: target labels, target-task regexes, ``--rerun-from``.

O2DPG's rules, on node indices of a :class:`~qcflow.workflow.Graph`:

- ``--target-tasks/-tt R…``: a task is a target when one regex matches the start of its name
  (:func:`re.match`); ``*`` alone means every task (it is not a regex).
- ``--target-labels L…``: a target must also carry one of the labels (logical AND with ``-tt``).
- Every task a target needs, transitively, is run too.
- ``--rerun-from R``: the tasks whose name matches ``R`` and all their descendants forget their
  completion and run again. A pattern that matches nothing is an input error (exit 2; O2DPG
  exits 1 there).

A malformed regex is an :class:`~qcflow.errors.InvalidInput` naming the flag and the pattern.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence

from qcflow.errors import InvalidInput
from qcflow.workflow import Graph

__all__ = ["compile_patterns", "rerun_from", "select_targets"]

MATCH_ALL = "*"


def compile_patterns(patterns: Sequence[str], flag: str) -> list[re.Pattern[str]]:
    """The regexes of a flag; ``*`` is left out (callers treat it as "everything")."""
    compiled = []
    for pattern in patterns:
        if pattern == MATCH_ALL:
            continue
        try:
            with warnings.catch_warnings():
                # e.g. "possible nested set" for '[[': the pattern still means what Python says
                warnings.simplefilter("ignore", FutureWarning)
                compiled.append(re.compile(pattern))
        except re.error as err:
            msg = f"{flag}: {pattern!r} is not a valid regular expression: {err}"
            raise InvalidInput(msg) from err
    return compiled


def select_targets(
    graph: Graph,
    labels: Sequence[str] = (),
    patterns: Sequence[str] = (MATCH_ALL,),
    exclude: set[int] | None = None,
) -> set[int]:
    """The targets chosen by ``labels`` and ``patterns``, plus everything they need.

    Tasks in ``exclude`` (they cannot run) are never targets, as O2DPG's ``canBeDone`` rule.
    """
    everything = not patterns or MATCH_ALL in patterns
    regexes = compile_patterns(patterns, "--target-tasks")
    wanted = set(labels)
    targets = set()
    for i, task in enumerate(graph.tasks):
        if exclude and i in exclude:
            continue
        name_ok = everything or any(r.match(task.name) for r in regexes)
        label_ok = not wanted or not wanted.isdisjoint(task.labels)
        if name_ok and label_ok:
            targets.add(i)
    return targets | graph.ancestors(targets)


def rerun_from(graph: Graph, pattern: str, among: set[int] | None = None) -> set[int]:
    """Tasks matching ``pattern`` (within ``among`` when given) and all their descendants."""
    (regex,) = compile_patterns([pattern], "--rerun-from") or [re.compile("")]
    nodes = range(len(graph)) if among is None else sorted(among)
    matches = {i for i in nodes if regex.match(graph.names[i])}
    if not matches:
        msg = f"--rerun-from: {pattern!r} matches no task of the workflow"
        raise InvalidInput(msg)
    found = matches | graph.descendants(matches)
    return found if among is None else found & among
