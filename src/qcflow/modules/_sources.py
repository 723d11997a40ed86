"""What the detector modules share: ``"<label>:<objectName>"`` data sources, QC's "fetch only if
new" retrieval, and the per-run reset of run-scoped tasks.

Data sources (QC's ``PostProcessingConfigZDC`` / ``PostProcessingConfigMCH``): an array of
``{type, path, names | name}``; each name is ``"<label>:<objectName>"`` split at the first ``:``
(no ``:``: empty label, the whole text is the object name; an empty object name is skipped).
ZDC uses the label as a bin label, MCH as the source key (``rate``, ``eff``...).

Retrieval (QC's ``MOHelper`` / ``CcdbObjectHelper``): the object valid at the trigger's
timestamp for the trigger's activity, skipped when it is the version seen last time (the object
did not change). QC compares the versions' ``Created`` times, so it also skips a different
version created in the same millisecond; qcflow compares the versions' ids. QC's extra "live"
filter (objects created before the task started are stale when the trigger is in the future)
never applies to replays and is not kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qcflow.postprocessing import Node, Retrieved, Services, Trigger

__all__ = ["NamedSource", "RunTracker", "SourceHelper", "read_sources", "split_source_name"]


def split_source_name(text: str) -> tuple[str, str]:
    """``"label:name"`` -> ``("label", "name")``; no ``:`` -> ``("", text)``."""
    label, colon, name = text.partition(":")
    return (label, name) if colon else ("", text)


@dataclass(frozen=True)
class NamedSource:
    """One object a module reads: its label or key, QCDB folder (no provenance) and name."""

    label: str
    path: str
    name: str

    @property
    def object_path(self) -> str:
        return f"{self.path}/{self.name}"


def read_sources(node: Node, key: str, *, required: bool = True) -> list[NamedSource]:
    """The ``names`` (or ``name``) of every element of the array ``key``, in order."""
    out = []
    for item in node.items(key, required=required):
        if not item.is_object:
            item.error(None, "expected {type, path, names}")
            continue
        item.mark_read("type", "reductorName", "moduleName")
        path = item.required_text("path").strip("/")
        names = item.strings("names") if item.has("names") else []
        if not names and item.text("name", ""):
            names = [item.text("name", "")]
        if not names:
            item.error(None, "needs 'names' (a list) or 'name'")
        for text in names:
            label, name = split_source_name(text)
            if name:
                out.append(NamedSource(label, path, name))
        item.finish()
    return out


#: One trigger's fetched objects, by object path.
Cache = dict[str, Retrieved | None]


@dataclass
class SourceHelper:
    """Fetches one source's object, but only when it changed since the last fetch."""

    source: NamedSource
    #: The id of the version fetched last.
    seen: str | None = None

    def fetch_if_new(
        self, trigger: Trigger, services: Services, cache: Cache | None = None
    ) -> Retrieved | None:
        """The object, unless missing or unchanged; ``cache`` shares one trigger's fetches
        between sources naming the same object (ZDC reads its TDC amplitudes twice)."""
        key = self.source.object_path
        if cache is not None and key in cache:
            found = cache[key]
        else:
            found = services.retrieve_mo(
                self.source.path,
                self.source.name,
                trigger.timestamp,
                trigger.activity,
                trigger.metadata,
            )
            if cache is not None:
                cache[key] = found
        if found is None or found.info.id == self.seen:
            return None
        self.seen = found.info.id
        return found

    def reset(self) -> None:
        self.seen = None


@dataclass
class RunTracker:
    """Tells a run-scoped task when the run of its triggers changes (a new run: fresh state).

    O2DPG runs MCH and ZDC once per run, so their state (summaries kept across cycles, "last
    cycle" differences) never spans two runs; qcflow running them over a period resets it
    whenever the trigger's activity changes.
    """

    key: tuple[object, ...] | None = field(default=None)

    def changed(self, trigger: Trigger) -> bool:
        key = trigger.activity.key
        if key == self.key:
            return False
        self.key = key
        return True
