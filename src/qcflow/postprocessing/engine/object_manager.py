"""Publishing a task's objects: registration, QCDB paths and metadata, and publication listeners.

A task registers objects with :meth:`ObjectManager.start_publishing` and never writes to a
repository itself. The task runner calls :meth:`ObjectManager.publish` after every ``update``
and at ``finalize`` -- only when the task's validity is valid (spec §3) -- and every registered
object is stored:

- path ``<provenance>/<DET>/MO/<taskName>/<name>`` (a ``/`` in the name makes sub-folders);
- validity: the task's validity ``[start, end]`` (widened by its triggers);
- metadata: the four activity keys (always), ``ObjectType``, ``qc_detector_name``,
  ``qc_task_name``, ``qc_task_class``, ``qc_version``, ``adjustableEOV=1``, plus the object's own.

An object larger than ``qc.config.database.maxObjectSize`` (2 MB by default) is not stored, with
an error in the log, as QC's CCDB client does.

Publication policies (QC's): ``FOREVER`` (until stopped), ``ONCE`` (the next publication only),
``THROUGH_STOP`` (until the task finalizes).

After each publication the listeners get a :class:`Publication`: the task, its activity and
validity, and per object its name (``<taskName>/<name>`` for check policies), QCDB record and
in-memory value -- this is where checks (issue 6) hook in.

What can be published, and its bytes, is :func:`qcflow.objects.codec.encode_object`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from qcflow.errors import InvalidInput
from qcflow.objects.activity import Activity
from qcflow.objects.codec import Payload, encode_object
from qcflow.objects.metadata import DISPLAY_HINTS, DRAW_OPTIONS, mo_metadata
from qcflow.objects.paths import mo_path
from qcflow.postprocessing.triggers.trigger import Trigger
from qcflow.postprocessing.triggers.validity import Validity

if TYPE_CHECKING:
    from qcflow.postprocessing.config.schema import TaskConfig
    from qcflow.qcdb.model import ObjectInfo
    from qcflow.qcdb.repository import Repository

__all__ = [
    "Listener",
    "ObjectManager",
    "Publication",
    "PublicationPolicy",
    "Published",
]


log = logging.getLogger("qcflow.qc")


class PublicationPolicy(Enum):
    FOREVER = "Forever"
    ONCE = "Once"
    THROUGH_STOP = "ThroughStop"


@dataclass
class _Registered:
    name: str
    obj: Any
    policy: PublicationPolicy
    metadata: dict[str, str]


@dataclass(frozen=True)
class Published:
    """One stored object: its name (``<taskName>/<name>``), QCDB record and value."""

    name: str
    path: str
    info: ObjectInfo
    obj: Any


@dataclass(frozen=True)
class Publication:
    """What a task published in one go."""

    task: TaskConfig
    trigger: Trigger
    activity: Activity
    validity: Validity
    objects: tuple[Published, ...] = ()


Listener = Callable[[Publication], None]


@dataclass
class ObjectManager:
    """The objects a task publishes, and where they go."""

    task: TaskConfig
    repository: Callable[[], Repository]
    listeners: list[Listener] = field(default_factory=list)
    _objects: dict[str, _Registered] = field(default_factory=dict)

    def start_publishing(
        self,
        obj: Any,
        name: str | None = None,
        policy: PublicationPolicy = PublicationPolicy.FOREVER,
        *,
        metadata: dict[str, str] | None = None,
    ) -> None:
        """Publish ``obj`` as ``name`` (default: its ``name`` attribute) from now on."""
        key = name or str(getattr(obj, "name", "") or "")
        if not key or any(c.isspace() for c in key):
            msg = f"task {self.task.task_name!r}: object name {key!r} is empty or has spaces"
            raise InvalidInput(msg)
        self._objects[key] = _Registered(key, obj, policy, dict(metadata or {}))

    def set_default_draw_options(self, name: str, options: str) -> None:
        """QC's ``setDefaultDrawOptions``: the ``drawOptions`` metadata QCG draws ``name`` with
        (``;``-separated, e.g. ``colz``)."""
        self._objects[name].metadata[DRAW_OPTIONS] = options

    def set_display_hint(self, name: str, hints: str) -> None:
        """QC's ``setDisplayHint``: the ``displayHints`` metadata of ``name`` (e.g. ``gridy``)."""
        self._objects[name].metadata[DISPLAY_HINTS] = hints

    def stop_publishing(self, what: str | PublicationPolicy) -> None:
        """Stop publishing one object (by name) or every object of a policy."""
        if isinstance(what, PublicationPolicy):
            self._objects = {k: v for k, v in self._objects.items() if v.policy is not what}
        else:
            self._objects.pop(what, None)

    @property
    def names(self) -> list[str]:
        return list(self._objects)

    def get(self, name: str) -> Any:
        return self._objects[name].obj

    def path(self, activity: Activity, name: str) -> str:
        return mo_path(activity.provenance, self.task.detector_name, self.task.task_name, name)

    def _metadata(
        self, activity: Activity, payload: Payload, extra: dict[str, str]
    ) -> dict[str, str]:
        meta = mo_metadata(
            activity,
            detector=self.task.detector_name,
            task_name=self.task.task_name,
            task_class=self.task.class_name,
            object_type=payload.object_type,
            draw_options=payload.draw_options,
            display_hints=payload.display_hints,
        )
        meta.update(extra)
        return meta

    def _store(
        self,
        repository: Repository,
        path: str,
        payload: Payload,
        validity: Validity,
        activity: Activity,
        extra: dict[str, str],
    ) -> ObjectInfo:
        kind = payload.object_type.replace("::", "-").replace("/", "-")
        info = repository.store(
            path,
            payload.data,
            valid_from=validity.start,
            valid_until=validity.end,
            metadata=self._metadata(activity, payload, extra),
            content_type=payload.content_type,
            file_name=f"{kind}_{validity.start}.{payload.extension}",
        )
        log.debug("published %s [%s, %s]", path, info.valid_from, info.valid_until)
        return info

    def publish(self, trigger: Trigger, activity: Activity, validity: Validity) -> Publication:
        """Store every registered object with ``validity``, then tell the listeners."""
        stored = []
        repository = self.repository()
        limit = self.task.common.database.max_object_size
        for item in list(self._objects.values()):
            payload = encode_object(item.obj)
            path = self.path(activity, item.name)
            if 0 < limit < len(payload.data):
                log.error(
                    "%s not stored: %d bytes exceed maxObjectSize (%d), as in QC",
                    path,
                    len(payload.data),
                    limit,
                )
                continue
            info = self._store(repository, path, payload, validity, activity, item.metadata)
            for suffix, companion in payload.companions:
                self._store(repository, path + suffix, companion, validity, activity, item.metadata)
            stored.append(Published(f"{self.task.task_name}/{item.name}", path, info, item.obj))
        publication = Publication(self.task, trigger, activity, validity, tuple(stored))
        for listener in self.listeners:
            listener(publication)
        return publication
