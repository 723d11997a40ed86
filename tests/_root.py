"""Run CERN ROOT (the `root` extra) in a child process and get its answer as JSON.

``import ROOT`` takes seconds and installs signal handlers: it never runs in the test process.
:func:`root_python` runs a PyROOT script in batch mode; the script prints one JSON document as
its last line of output (``emit(value)``). Tests using it are marked ``root`` and skipped, with
the reason, when ROOT cannot be imported.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from functools import cache
from typing import Any

import pytest

#: ``pytestmark`` of a module of ROOT tests that import ROOT themselves (ACLiC, PyROOT): marked
#: ``root`` and skipped, with the reason, where the `root` extra is not installed.
ROOT_MODULE = [
    pytest.mark.root,
    pytest.mark.skipif(
        importlib.util.find_spec("ROOT") is None,
        reason="CERN ROOT is not installed (pip install -e '.[root]': PyPI package `root`, "
        "Python 3.11 x86-64 only)",
    ),
]

PRELUDE = """
import json, sys
import ROOT
ROOT.gROOT.SetBatch(True)
ROOT.gErrorIgnoreLevel = ROOT.kError
def emit(value):
    print(json.dumps(value))
"""


@cache
def _root_problem() -> str | None:
    done = subprocess.run(
        [sys.executable, "-c", "import ROOT"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if done.returncode == 0:
        return None
    lines = done.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit {done.returncode}"


def require_root() -> None:
    """Skip the calling test when ``import ROOT`` fails (the `root` extra is not installed)."""
    problem = _root_problem()
    if problem is not None:
        pytest.skip(f"CERN ROOT is not importable (pip install '.[root]'): {problem}")


def root_python(script: str, *args: str) -> Any:
    """Run ``script`` with PyROOT (``sys.argv[1:]`` = ``args``); its last printed line, as JSON."""
    require_root()
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + script, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
