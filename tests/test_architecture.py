"""The import direction of docs/architecture.md, checked on the source tree."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "qcflow"

FORBIDDEN = {
    "runner": ("postprocessing", "qcdb", "objects", "checks", "modules", "report", "demo"),
    "workflow": ("runner", "postprocessing", "qcdb", "objects", "checks", "generators"),
    "qcdb": ("objects", "postprocessing", "checks", "modules", "runner"),
    "objects": ("postprocessing", "checks", "modules", "runner", "report"),
    "postprocessing": ("modules", "report", "demo", "runner"),
    "checks": ("modules", "report", "demo", "runner"),
    # the UI reads a QCDB through the Repository protocol and the report's collection; it never
    # runs anything nor loads the engine, checks or detector modules
    "ui": ("runner", "workflow", "generators", "postprocessing", "checks", "modules", "demo"),
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("qcflow."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("qcflow."))
    return found


LIBRARY_FILES = [
    p for p in SRC.rglob("*.py") if p.relative_to(SRC).parts[0] not in ("cli", "__main__.py")
]


@pytest.mark.parametrize("path", LIBRARY_FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_import_direction(path: Path) -> None:
    package = path.relative_to(SRC).parts[0]
    imports = imported_packages(path)
    assert "cli" not in imports, f"{path}: library code imports qcflow.cli"
    assert package == "ui" or "ui" not in imports, f"{path}: only cli may import qcflow.ui"
    bad = imports & set(FORBIDDEN.get(package, ()))
    assert not bad, f"{path}: {package} must not import {sorted(bad)}"


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


def test_the_runners_private_modules_stay_in_their_package() -> None:
    """``runner/dask/_task.py`` is ``runner/dask``'s own: the rest of the runner imports its
    public face (docs/architecture.md, the runner's map)."""
    bad = []
    for path in ALL_FILES:
        here = "qcflow." + ".".join(path.relative_to(SRC).with_suffix("").parts)
        for name in imported_modules(path):
            if not name.startswith("qcflow.runner."):
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
