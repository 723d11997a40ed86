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
