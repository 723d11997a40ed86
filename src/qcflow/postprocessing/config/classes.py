"""The class registry: O2 class names in configs -> the Python classes that do the work.

Four kinds of classes are looked up by name: ``task`` (``className`` of a post-processing task),
``reductor`` (``reductorName`` of a trending data source), ``check`` and ``aggregator``. A name
is found, in this order:

1. classes registered at run time (:func:`register`, a decorator);
2. qcflow's own classes (:data:`BUILTIN`, imported only when named);
3. the entry points of group ``qcflow.classes`` of any installed package -- the entry point's name
   is the O2 class name, its value ``package.module:Class``. This is how detector modules and
   third-party packages plug in without the engine importing them::

       [project.entry-points."qcflow.classes"]
       "o2::quality_control_modules::zdc::ZDCRecDataPostProcessing" = "qcflow.modules.zdc:RecPP"

4. ``python:package.module:Class`` names a class directly, no registration needed.

Every class declares its kind in a ``kind`` class attribute; asking for a name of another kind,
or an unknown name, is an :class:`~qcflow.errors.InvalidInput` that lists the known names.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Literal, TypeVar

from qcflow._hints import did_you_mean
from qcflow.errors import InvalidInput

__all__ = [
    "BUILTIN",
    "ENTRY_POINT_GROUP",
    "KINDS",
    "REGISTRY",
    "ClassRegistry",
    "Kind",
    "register",
]

Kind = Literal["task", "reductor", "check", "aggregator"]
KINDS: tuple[Kind, ...] = ("task", "reductor", "check", "aggregator")
ENTRY_POINT_GROUP = "qcflow.classes"
PYTHON_PREFIX = "python:"

_TASKS = "o2::quality_control::postprocessing::"
_COMMON = "o2::quality_control_modules::common::"

#: qcflow's own classes: O2 name -> (kind, "module:attribute"), imported on first use.
BUILTIN: Mapping[str, tuple[Kind, str]] = {
    f"{_TASKS}TrendingTask": ("task", "qcflow.postprocessing.trending.task:TrendingTask"),
    f"{_TASKS}SliceTrendingTask": (
        "task",
        "qcflow.postprocessing.slices.task:SliceTrendingTask",
    ),
    f"{_COMMON}QualityTask": ("task", "qcflow.postprocessing.tasks.quality:QualityTask"),
    f"{_COMMON}ReferenceComparatorTask": (
        "task",
        "qcflow.postprocessing.tasks.reference_comparator:ReferenceComparatorTask",
    ),
    f"{_COMMON}CcdbInspectorTask": (
        "task",
        "qcflow.postprocessing.tasks.ccdb_inspector:CcdbInspectorTask",
    ),
    f"{_COMMON}BigScreen": ("task", "qcflow.postprocessing.tasks.big_screen:BigScreen"),
    f"{_COMMON}TH1Reductor": ("reductor", "qcflow.postprocessing.reduction.reductors:TH1Reductor"),
    f"{_COMMON}TH2Reductor": ("reductor", "qcflow.postprocessing.reduction.reductors:TH2Reductor"),
    f"{_COMMON}QualityReductor": (
        "reductor",
        "qcflow.postprocessing.reduction.reductors:QualityReductor",
    ),
    f"{_COMMON}TH1SliceReductor": (
        "reductor",
        "qcflow.postprocessing.slices.reductors:TH1SliceReductor",
    ),
    f"{_COMMON}TH2SliceReductor": (
        "reductor",
        "qcflow.postprocessing.slices.reductors:TH2SliceReductor",
    ),
}

T = TypeVar("T")


def _import(target: str, where: str) -> Any:
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        msg = f"{where}: {target!r} is not 'package.module:Class'"
        raise InvalidInput(msg)
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        msg = f"{where}: cannot import {module_name!r}: {err}"
        raise InvalidInput(msg) from err
    try:
        return getattr(module, attribute)
    except AttributeError as err:
        msg = f"{where}: module {module_name!r} has no {attribute!r}"
        raise InvalidInput(msg) from err


class ClassRegistry:
    """Name -> class, per kind; see the module docstring for the lookup order."""

    def __init__(self, builtin: Mapping[str, tuple[Kind, str]] = BUILTIN) -> None:
        self._registered: dict[str, Any] = {}
        self._builtin = dict(builtin)

    def add(self, kind: Kind, name: str, cls: Any) -> None:
        """Register ``cls`` under ``name``; it must declare ``kind``."""
        if getattr(cls, "kind", None) != kind:
            msg = f"cannot register {cls!r} as a {kind}: its 'kind' attribute is not {kind!r}"
            raise InvalidInput(msg)
        self._registered[name] = cls

    def resolve(self, kind: Kind, name: str, where: str = "") -> Any:
        """The class ``name`` of ``kind``; :class:`InvalidInput` (with ``where``) otherwise."""
        place = where or name
        cls = self._find(name, place)
        if cls is None:
            hint = _hint(name, self.known(kind))
            known = ", ".join(self.known(kind)) or "none"
            msg = (
                f"{place}: unknown {kind} class {name!r}{hint}; known {kind}s: {known} "
                f"(or name one as {PYTHON_PREFIX}package.module:Class)"
            )
            raise InvalidInput(msg)
        actual = getattr(cls, "kind", None)
        if actual != kind:
            msg = f"{place}: {name!r} is a {actual or 'class of no known kind'}, not a {kind}"
            raise InvalidInput(msg)
        return cls

    def _find(self, name: str, where: str) -> Any:
        if name.startswith(PYTHON_PREFIX):
            return _import(name[len(PYTHON_PREFIX) :], where)
        if name in self._registered:
            return self._registered[name]
        if name in self._builtin:
            return _import(self._builtin[name][1], where)
        for entry in _entry_points():
            if entry.name == name:
                return _load(entry, where)
        return None

    def known(self, kind: Kind) -> list[str]:
        """Every name of ``kind`` this registry can resolve (plugins are imported to tell)."""
        names = {n for n, c in self._registered.items() if getattr(c, "kind", None) == kind}
        names.update(n for n, (k, _) in self._builtin.items() if k == kind)
        for entry in _entry_points():
            try:
                if getattr(entry.load(), "kind", None) == kind:
                    names.add(entry.name)
            except Exception:  # noqa: S112 -- a broken plugin must not hide the others
                continue
        return sorted(names)

    def decorator(self, kind: Kind, *names: str) -> Callable[[type[T]], type[T]]:
        def wrap(cls: type[T]) -> type[T]:
            for name in names or (cls.__name__,):
                self.add(kind, name, cls)
            return cls

        return wrap


def _hint(name: str, known: list[str]) -> str:
    """A near miss judged on the class names without namespaces (they share long prefixes)."""
    short = {k.rsplit("::", 1)[-1]: k for k in known}
    hint = did_you_mean(name.rsplit("::", 1)[-1], short)
    if not hint:
        return ""
    chosen = hint.split("'")[1]
    return f" (did you mean {short[chosen]!r}?)"


def _entry_points() -> list[EntryPoint]:
    return list(entry_points(group=ENTRY_POINT_GROUP))


def _load(entry: EntryPoint, where: str) -> Any:
    try:
        return entry.load()
    except Exception as err:
        msg = f"{where}: the plugin {entry.name!r} ({entry.value}) failed to load: {err}"
        raise InvalidInput(msg) from err


#: The registry the engine uses.
REGISTRY = ClassRegistry()


def register(kind: Kind, *names: str) -> Callable[[type[T]], type[T]]:
    """Class decorator: make the class resolvable under ``names`` (default: its own name)."""
    return REGISTRY.decorator(kind, *names)
