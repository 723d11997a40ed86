"""Why a post-processing task published nothing: does the store hold any of its inputs?

A task fed nothing finishes cleanly after 0 updates, which looks like success to a user and to
the runner. :func:`nothing_published` says why in one line -- the usual cause being that the
source store holds no object of the task's activity (``no input objects for run 550123 in
/abs/qcdb``) -- so that ``qcflow qc`` can say it on stderr and to the runner's task notes.
"""

from __future__ import annotations

from collections.abc import Callable

from qcflow.errors import QcflowError
from qcflow.objects.activity import Activity
from qcflow.postprocessing.config.schema import TaskConfig
from qcflow.postprocessing.engine.crossref import task_inputs
from qcflow.postprocessing.triggers.sources import task_activity
from qcflow.qcdb.repository import Repository

__all__ = ["describe_scope", "nothing_published"]


def describe_scope(activity: Activity) -> str:
    """``run 550123, period LHC24ab, pass apass1``: the activity's non-wildcard fields."""
    parts = [f"run {activity.number}"] if activity.number else []
    if activity.period_name:
        parts.append(f"period {activity.period_name}")
    if activity.pass_name:
        parts.append(f"pass {activity.pass_name}")
    return ", ".join(parts)


def nothing_published(task: TaskConfig, source: Callable[[], Repository], updates: int) -> str:
    """One line saying why ``task``, which published nothing, did so (``source``: opens its
    store)."""
    activity = task_activity(task.common.activity, task.common.match_any_run_number)
    filters = activity.filters()
    filters.pop("RunType", None)  # as the triggers: objects rarely carry it
    paths = sorted({f"{activity.provenance}/{path}" for _, path in task_inputs(task)})
    scope = describe_scope(activity)
    done = f"{updates} update{'' if updates == 1 else 's'}"
    try:
        repo = source()
        found = any(repo.browse(path, filters, limit=1) for path in paths)
    except QcflowError:  # an unreachable store or an odd path: claim nothing about the inputs
        return done
    if paths and not found:
        return f"no input objects {f'for {scope} ' if scope else ''}in {repo.url}"
    if paths:
        return f"{done} although input objects {f'for {scope} ' if scope else ''}exist"
    return done
