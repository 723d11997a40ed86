"""The check example of docs/plugins.md: it runs, and the document shows it verbatim."""

from __future__ import annotations

import re
from pathlib import Path

from qcflow.objects.quality import QualityObject
from qcflow.postprocessing.engine.engine import Engine, EngineOptions
from qcflow.qcdb.local import LocalRepository
from qcflow.qcdb.model import order_key
from tests.postprocessing._configs import messages, parsed, with_tasks

from . import plugin_check
from ._publisher import fill_runs, publisher

DOC = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def test_the_document_shows_the_tested_code() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL)
    source = Path(plugin_check.__file__ or "").read_text()
    assert source in blocks, "docs/plugins.md does not show the check as it is"
    assert len(source.splitlines()) <= 30


def test_the_check(tmp_path: Path) -> None:
    repo = LocalRepository(tmp_path / "qcdb", fsync=False)
    fill_runs(repo, range(1, 4))
    checks = {
        "Peaks": {
            "className": "mylab::PeakBelow",
            "moduleName": "MyLab",
            "detectorName": "TST",
            "checkParameters": {"maxContent": "2.5"},
            "dataSource": [{"type": "PostProcessing", "name": "Pub"}],
        }
    }
    config = parsed(
        with_tasks({"Pub": publisher("a;a;a", entries="run")}, host=str(repo.root), checks=checks)
    )
    assert messages(config) == []
    Engine(config, EngineOptions(parallel=False)).run()
    versions = sorted(repo.browse("qc_async/TST/QO/Peaks"), key=order_key)
    qualities = [QualityObject.decode(repo.download(v.id).data).quality for v in versions]
    assert [q.name for q in qualities] == ["Good", "Good", "Bad"]  # the runs' numbers: 1, 2, 3
    assert qualities[-1].flags[0].comment == "above 2.5: Pub/a"
    assert "qc_annotations" in repo.latest("qc_async/TST/MO/Pub/a")[0].metadata
    repo.close()
