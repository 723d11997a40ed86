"""O2DPG's own zdc.json and mch.json run on the demo's data, checks included: one verdict per
run, the deliberately bad runs flagged."""

from __future__ import annotations

from pathlib import Path

import pytest

from qcflow.demo.mch import MCH_ISSUES, fill_mch, mch_run_indices
from qcflow.demo.zdc import ZDC_ISSUES, fill_zdc
from qcflow.objects.codec import decode
from qcflow.postprocessing.engine.api import load
from qcflow.postprocessing.engine.engine import Engine, EngineOptions
from qcflow.qcdb.local import LocalRepository

pytestmark = pytest.mark.shared
# O2DPG's configs name their production QCDB and pass; point them at the demo's.
OVERRIDES = "qc.config.database.host={};qc.config.Activity.passName=apass1;"


def verdicts(store: LocalRepository, path: str) -> dict[int, str]:
    out: dict[int, str] = {}
    for info in store.browse(path):  # newest first
        run = int(info.metadata["RunNumber"])
        out.setdefault(run, decode(store.download(info.id).data, info).quality.name)
    return out


@pytest.mark.parametrize("name", ["zdc", "mch"])
def test_the_o2dpg_config_judges_every_run(
    name: str, reference_configs: Path, tmp_path: Path
) -> None:
    store = LocalRepository(tmp_path / "qcdb", fsync=False)
    fill = fill_zdc if name == "zdc" else fill_mch
    runs = fill(store, runs=13, passes=("apass1",))
    config = load(str(reference_configs / f"{name}.json"), OVERRIDES.format(store.root))
    Engine(config, EngineOptions(parallel=False)).run()
    if name == "zdc":
        expected = {r.number: ZDC_ISSUES.get(i, ("", "Good"))[1] for i, r in enumerate(runs)}
        assert verdicts(store, "qc_async/ZDC/QO/RecCheck") == expected
        assert verdicts(store, "qc_async/ZDC/QO/ZDCQuality/ZDCQuality") == expected
    else:
        issue = {runs[i].number: MCH_ISSUES.get(i) for i in mch_run_indices(len(runs))}
        assert {i.digits for i in issue.values() if i} == {"Medium", "Bad"}
        digits = {n: i.digits if i else "Good" for n, i in issue.items()}
        assert verdicts(store, "qc_async/MCH/QO/DigitsCheck") == digits
        pre = {n: i.preclusters if i else "Good" for n, i in issue.items()}
        assert verdicts(store, "qc_async/MCH/QO/PreclustersCheck") == pre
    store.close()
