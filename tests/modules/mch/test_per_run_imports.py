"""A per-run ``qcflow qc`` on MCH's config imports no matplotlib: its trends are published as
ROOT graphs without PNG companions (issue 17: import only what the run needs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from qcflow.demo.mch import fill_mch
from qcflow.qcdb.local import LocalRepository
from tests.modules.conftest import CONFIGS

RUN = """
import json, sys
from qcflow.cli import main
code = main(sys.argv[2:])
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"matplotlib", "PIL"})
open(sys.argv[1], "w").write(json.dumps({"code": code, "loaded": loaded}))
"""


def test_a_per_run_mch_qc_imports_no_matplotlib(tmp_path: Path) -> None:
    store = LocalRepository(tmp_path / "qcdb", fsync=False)
    run = fill_mch(store, runs=1, passes=("apass1",))[0].number
    store.close()
    overrides = (
        f"qc.config.database.host={tmp_path / 'qcdb'};qc.config.Activity.type=PHYSICS;"
        f"qc.config.Activity.number={run};qc.config.Activity.periodName=LHC24ab;"
        "qc.config.Activity.passName=apass1;"
    )
    out = tmp_path / "seen.json"
    argv = ["qc", "--config", f"json://{CONFIGS / 'mch.json'}", "--override-values", overrides]
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(out), *argv, "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(out.read_text())
    assert seen["code"] in (0, None)
    assert seen["loaded"] == []
    published = LocalRepository(tmp_path / "qcdb", fsync=False)
    trends = published.browse("qc_async/MCH/MO/Digits/Trends/.*")
    assert trends and {v.metadata["ObjectType"] for v in trends} <= {"TGraph", "TMultiGraph"}
