"""What a post-processing run imports before it needs it: start-up time is what a user waits for.

A per-run ``qcflow qc`` on an embedded store must not pay for the HTTP client (httpx, with asyncio,
ssl, click), nor for matplotlib or uproot before a plot is drawn or a ROOT object decoded. Checked
in a fresh interpreter, since this test process has imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("httpx", "matplotlib", "uproot", "awkward")


def _loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def test_the_engine_and_an_embedded_store_import_no_http_client_nor_plotting(
    tmp_path: Path,
) -> None:
    loaded = _loaded_after(
        "from qcflow.cli import build_parser\n"
        "build_parser()\n"
        "import qcflow.postprocessing.engine.api, qcflow.postprocessing.engine.engine\n"
        "from qcflow.qcdb.open import open_repository\n"
        f"open_repository({str(tmp_path / 'qcdb')!r}).close()\n"
    )
    assert [m for m in HEAVY if m in loaded] == []


def test_the_http_client_is_still_there_when_asked_for() -> None:
    loaded = _loaded_after("from qcflow.qcdb import HttpRepository\nassert HttpRepository")
    assert "httpx" in loaded
