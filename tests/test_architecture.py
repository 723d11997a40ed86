"""The import direction of docs/architecture.md, checked on the source tree.

Rules are keyed by a package (``"runner"``) or a sub-package (``"postprocessing.plotting"``); a
rule's values name what it must not import, at the same two levels. A module in a sub-package
obeys its package's rule and its sub-package's rule.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "qcflow"


def _pp(*subpackages: str) -> tuple[str, ...]:
    return tuple(f"postprocessing.{name}" for name in subpackages)


FORBIDDEN = {
    "runner": ("postprocessing", "qcdb", "objects", "checks", "modules", "report", "demo"),
    "workflow": ("runner", "postprocessing", "qcdb", "objects", "checks", "generators"),
    "qcdb": ("objects", "postprocessing", "checks", "modules", "runner"),
    "objects": ("postprocessing", "checks", "modules", "runner", "report"),
    # checks run as a publication listener of the engine: the engine never imports them
    "postprocessing": ("modules", "report", "demo", "runner", "checks"),
    "checks": ("modules", "report", "demo", "runner"),
    # the UI reads a QCDB through the Repository protocol and the report's collection; it never
    # runs anything nor loads the engine, checks or detector modules
    "ui": ("runner", "workflow", "generators", "postprocessing", "checks", "modules", "demo"),
    # inside the post-processing, lower never imports higher:
    # triggers <- config <- reduction <- engine <- trending <- slices <- tasks
    "postprocessing.triggers": _pp(
        "config", "reduction", "engine", "plotting", "trending", "slices", "tasks"
    ),
    "postprocessing.config": _pp("reduction", "engine", "plotting", "trending", "slices", "tasks"),
    "postprocessing.reduction": _pp("engine", "plotting", "trending", "slices", "tasks"),
    "postprocessing.engine": _pp("plotting", "trending", "slices", "tasks"),
    # plots depend on qcflow.objects only, so checks and reports draw without the engine
    "postprocessing.plotting": _pp(
        "triggers", "config", "reduction", "engine", "trending", "slices", "tasks"
    ),
    "postprocessing.trending": _pp("slices", "tasks"),
    "postprocessing.slices": _pp("tasks"),
}

SUBPACKAGES = sorted(
    p.name for p in (SRC / "postprocessing").iterdir() if (p / "__init__.py").is_file()
)


def _levels(dotted: str) -> set[str]:
    """``"postprocessing.engine.task"`` -> ``{"postprocessing", "postprocessing.engine"}``."""
    parts = dotted.split(".")
    return {parts[0], ".".join(parts[:2])} if len(parts) > 1 else {parts[0]}


def imported_packages(path: Path) -> set[str]:
    """The packages and sub-packages of qcflow a module imports (``cli``, ``postprocessing.engine``)."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("qcflow."):
            module = node.module.removeprefix("qcflow.")
            found |= _levels(module)
            if "." not in module:  # from qcflow.postprocessing import engine
                found |= {f"{module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("qcflow."):
                    found |= _levels(alias.name.removeprefix("qcflow."))
    return found


def units(path: Path) -> list[str]:
    """The rule keys a source file obeys: its package and, inside a sub-package, that too."""
    parts = path.relative_to(SRC).with_suffix("").parts
    return [parts[0], ".".join(parts[:2])] if len(parts) > 2 else [parts[0]]


LIBRARY_FILES = [
    p for p in SRC.rglob("*.py") if p.relative_to(SRC).parts[0] not in ("cli", "__main__.py")
]


@pytest.mark.parametrize("path", LIBRARY_FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_import_direction(path: Path) -> None:
    package = path.relative_to(SRC).parts[0]
    imports = imported_packages(path)
    assert "cli" not in imports, f"{path}: library code imports qcflow.cli"
    assert package == "ui" or "ui" not in imports, f"{path}: only cli may import qcflow.ui"
    for unit in units(path):
        bad = imports & set(FORBIDDEN.get(unit, ()))
        assert not bad, f"{path}: {unit} must not import {sorted(bad)}"


def test_rules_name_existing_subpackages() -> None:
    """A renamed sub-package must not silently drop out of the rules."""
    named = {unit for unit in FORBIDDEN if "." in unit}
    named |= {bad for rule in FORBIDDEN.values() for bad in rule if "." in bad}
    assert named <= {f"postprocessing.{name}" for name in SUBPACKAGES}


@pytest.mark.parametrize(
    "path", sorted((SRC / "postprocessing").glob("*/*.py")), ids=lambda p: str(p.relative_to(SRC))
)
def test_subpackages_do_not_import_the_public_face(path: Path) -> None:
    """``qcflow.postprocessing``'s ``__init__`` imports every layer: a module inside the package
    imports the module it needs, so the layering above stays what it looks like."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "qcflow.postprocessing":
            names = {alias.name for alias in node.names}
            assert names <= set(SUBPACKAGES), f"{path}: imports {sorted(names)} from the face"


def imported_modules(path: Path, top_level_only: bool = False) -> set[str]:
    """Every module ``path`` imports (``from a.b import c`` counts ``a.b`` and ``a.b.c``);
    ``top_level_only``: those imported when it is imported (not in functions, nor for typing)."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


ALL_FILES = sorted(SRC.rglob("*.py"))


def test_private_modules_stay_in_their_package() -> None:
    """A ``_``-prefixed module (``runner/dask/_task.py``, ``postprocessing/engine/_inputs.py``) is
    its package's own: the rest of qcflow imports the package's public modules."""
    bad = []
    for path in ALL_FILES:
        here = "qcflow." + ".".join(path.relative_to(SRC).with_suffix("").parts)
        for name in imported_modules(path):
            if not name.startswith("qcflow."):
                continue
            parts = name.split(".")
            for i, part in enumerate(parts):
                module = SRC.joinpath(*parts[1 : i + 1]).with_suffix(".py")
                if part.startswith("_") and not part.startswith("__") and module.exists():
                    owner = ".".join(parts[:i])
                    if not here.startswith(owner + "."):
                        bad.append(f"{here} imports {name}")
    assert not bad


def test_only_the_dask_executor_imports_dask() -> None:
    """``distributed`` is imported only when a Dask executor is chosen (runner/dask/__init__)."""
    dask = SRC / "runner" / "dask"
    lazy = {dask / "__init__.py", dask / "cluster.py"}
    for path in ALL_FILES:
        inside = path.is_relative_to(dask)
        names = imported_modules(path, top_level_only=path in lazy)
        if inside and path not in lazy:
            continue
        roots = {name.split(".")[0] for name in names}
        assert not roots & {"dask", "distributed"}, f"{path} imports Dask at import time"


def test_public_class_names_are_unique() -> None:
    """Distinct concepts have distinct names: ``RunEngine`` (the runner) is not the post-processing
    ``Engine``, ``WorkflowTask`` (an O2DPG stage) not the post-processing ``Task``,
    ``ResourceLimits`` not ZDC's ``ChannelLimits``; a grep for a class name finds one class."""
    homes: dict[str, list[str]] = {}
    for path in ALL_FILES:
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                homes.setdefault(node.name, []).append(str(path.relative_to(SRC)))
    assert {name: where for name, where in homes.items() if len(where) > 1} == {}


PLUGIN_PACKAGES = ("modules", "checks")


def _public_api() -> set[str]:
    """``qcflow.postprocessing.__all__``, read from the source (the plugin API)."""
    for node in ast.parse((SRC / "postprocessing" / "__init__.py").read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return set(ast.literal_eval(node.value))
    raise AssertionError("qcflow.postprocessing declares no __all__")


@pytest.mark.parametrize(
    "path",
    sorted(p for package in PLUGIN_PACKAGES for p in (SRC / package).rglob("*.py")),
    ids=lambda p: str(p.relative_to(SRC)),
)
def test_plugins_use_only_the_public_face_of_the_postprocessing(path: Path) -> None:
    """Detector modules and checks are plugins of the engine: they import from
    ``qcflow.postprocessing`` itself, and only what its ``__all__`` declares (docs/plugins.md)."""
    public = _public_api()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("qcflow.postprocessing."):
                raise AssertionError(f"{path}:{node.lineno}: imports {node.module}")
            if node.module == "qcflow.postprocessing":
                names = {alias.name for alias in node.names}
                assert names <= public, f"{path}:{node.lineno}: {sorted(names - public)} private"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                assert not alias.name.startswith("qcflow.postprocessing"), (
                    f"{path}:{node.lineno}: import {alias.name}"
                )


def test_the_public_face_exports_what_it_declares() -> None:
    import qcflow.postprocessing as face

    assert all(hasattr(face, name) for name in _public_api())


def test_the_formatter_formats_everything() -> None:
    """Code is laid out by ``ruff format`` alone: no ``# fmt: skip``/``# fmt: off`` in src/."""
    marked = [
        f"{path.relative_to(SRC)}:{number}"
        for path in ALL_FILES
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "# fmt: skip" in line or "# fmt: off" in line
    ]
    assert marked == []
