"""bench/qc_run.py times each config on a run that has its input data.

The demo's MCH data covers every sixth run only; the bench once ran every config on the
period's second run, where MCH has nothing, and timed an MCH run that published nothing."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from qcflow.qcdb.local import LocalRepository
from tests._bench import load_bench

FIRST = 550_000


def _bench() -> ModuleType:
    return load_bench("qc_run")


def _put(repo: LocalRepository, path: str, run: int) -> None:
    start = 1_700_000_000_000 + (run - FIRST) * 3_600_000
    metadata = {"RunNumber": str(run), "PeriodName": "LHC24ab", "PassName": "apass1"}
    repo.store(path, b"x", valid_from=start, valid_until=start + 3_000_000, metadata=metadata)


def test_each_config_runs_on_a_run_with_its_inputs(tmp_path: Path) -> None:
    bench = _bench()
    store = tmp_path / "qcdb"
    repo = LocalRepository(store, fsync=False)
    for run in range(FIRST, FIRST + 3):
        _put(repo, "qc_async/GLO/MO/Vertexing/beamSpot", run)
        _put(repo, "qc_async/ZDC/MO/Rec/h_ADC_ZNA_TC", run)
    _put(repo, "qc_async/MCH/MO/Digits/Occupancy_Elec", FIRST)  # MCH: the first run only
    picked = bench.pick_runs(repo, store, tmp_path)
    runs = {name: run for name, (run, _) in picked.items()}
    assert runs == {"example": 0, "ZDC": FIRST + 2, "MCH": FIRST}  # example: the whole period
    mch = picked["MCH"][1]
    assert "qc.config.Activity.number=550000" in mch[mch.index("--override-values") + 1]
    assert bench.published(repo, FIRST, 0) == 3  # what the bench counts after a command
    assert bench.published(repo, FIRST + 1, 2**62) == 0  # nothing new: the bench stops
