"""The demo's data sets: recorded in workers, stored by one writer; the list of bad runs."""

from __future__ import annotations

from pathlib import Path

from qcflow.demo.datasets import available, fill_all, issues
from qcflow.demo.vertexing import vertexing_runs
from qcflow.qcdb.local import LocalRepository


def test_fill_all_stores_every_data_set_of_every_pass(tmp_path: Path) -> None:
    said: list[str] = []
    names = fill_all(
        str(tmp_path / "qcdb"),
        "LHC24ab",
        ("apass1", "apass2"),
        runs=7,
        workers=1,
        progress=said.append,
    )
    # MCH has every sixth run: the message says how many of the period's runs it has
    assert "MCH apass1: 2 of 7 runs of LHC24ab, 14 objects" in said
    assert any(m.startswith("ZDC apass1: 7 runs of LHC24ab") for m in said)
    assert sorted(set(names)) == sorted(available())
    repo = LocalRepository(tmp_path / "qcdb")
    for pass_name in ("apass1", "apass2"):
        found = repo.browse("qc_async/ZDC/MO/Rec/.*", {"PassName": pass_name})
        assert len(found) == 7 * 46
    assert repo.browse("qc_async/MCH/MO/Digits/Occupancy_Elec")[0].metadata["ObjectType"] == (
        "o2::quality_control_modules::common::TH2Ratio<TH2F>"
    )
    repo.close()


def test_the_bad_runs_are_listed_with_their_run_numbers() -> None:
    runs = [r.number for r in vertexing_runs(50)]
    listed = issues()
    assert {(i.detector, i.verdict) for i in listed} >= {
        ("ZDC", "Bad"),
        ("ZDC", "Medium"),
        ("MCH", "Bad"),
        ("MCH", "Medium"),
    }
    assert all(i.run in runs for i in listed)
    assert [(i.detector, i.run) for i in issues(runs=10)] == [
        ("MCH", runs[6]),
        ("ZDC", runs[6]),
        ("EMC", runs[7]),
    ]
