"""MCH and ZDC on objects CERN ROOT writes as QC's tasks do, through O2DPG's own ``mch.json``
and ``zdc.json`` (unchanged but for the QCDB they point at).

ROOT (the PyPI package ``root``, the ``.[root]`` extra) runs in a child process
(``_root_writer.py``). MCH: QC's ``TH2Ratio<TH2F>`` (class version 3, declared with ACLiC from
QC's class name, bases, members and version: ``tests/objects/_root_ratio.h``) on O2's full
electronics mapping, 16,820 boards x 64 channels, the ratio computed by ROOT as QC's
``TH2Ratio::update`` does. ZDC: TH1F filled event by event with ``Fill``. The expected values
are ROOT's own (``GetMean``, ``GetMeanError``, ``SetRangeUser`` + ``GetMaximumBin``) or computed
here from the counts as QC's ``TH2ElecMapReductor`` does (float32 cells, pads O2 connects).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qcflow.demo.mch import mch_objects
from qcflow.demo.store import store_object
from qcflow.demo.vertexing import DemoRun, vertexing_runs
from qcflow.demo.zdc import TASK_CLASS, expected_values, zdc_events
from qcflow.modules.mch.mapping import CHANNELS, load_o2_mapping
from qcflow.objects.activity import Activity
from qcflow.objects.codec import decode
from qcflow.objects.root import decode_histogram
from qcflow.postprocessing.engine.api import load
from qcflow.postprocessing.engine.engine import Engine, EngineOptions
from qcflow.qcdb.local import LocalRepository
from tests._root import ROOT_MODULE

pytestmark = ROOT_MODULE

HERE = Path(__file__).parent
RATIO_CLASS = "o2::quality_control_modules::common::TH2Ratio<TH2F>"
OVERRIDES = "qc.config.database.host={};qc.config.Activity.passName=apass1;"
ORBIT_MS = 0.0891


def root_write(build: Path, work: Path, specs: list[dict[str, Any]]) -> list[dict[str, float]]:
    spec_file, out = work / "specs.json", work / "out.json"
    spec_file.write_text(json.dumps(specs))
    done = subprocess.run(
        [sys.executable, str(HERE / "_root_writer.py"), str(build), str(spec_file), str(out)],
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return list(json.loads(out.read_text()))


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ACLiC's build directory, shared by the module's ROOT runs (the library is built once)."""
    return tmp_path_factory.mktemp("aclic")


def verdicts(store: LocalRepository, path: str) -> dict[int, str]:
    out: dict[int, str] = {}
    for info in store.browse(path):  # newest first
        out.setdefault(
            int(info.metadata["RunNumber"]), decode(store.download(info.id).data, info).quality.name
        )
    return out


def stored(
    store: LocalRepository,
    run: DemoRun,
    task: str,
    path: Path,
    name: str,
    detector: str,
    object_type: str,
    task_class: str,
) -> None:
    activity = Activity(run.number, "PHYSICS", "LHC24ab", "apass1", "qc_async")
    store_object(
        store,
        activity,
        (run.sor, run.eor),
        detector=detector,
        task=task,
        task_class=task_class,
        name=name,
        data=path.read_bytes(),
        object_type=object_type,
    )


# -- MCH -----------------------------------------------------------------------------------


def mch_counts(rng: np.random.Generator, dead: tuple[int, ...]) -> dict[str, Any]:
    """One run's counts on O2's mapping: rates ~0.1 kHz per pad (signal), efficiency ~0.95;
    the ``dead`` DEs have no digits and no efficiency (an HV trip)."""
    o2 = load_o2_mapping()
    off = np.isin(o2.ds_de_index, [d.index for d in o2.des if d.id in dead])[:, None]
    den = 2000 * ORBIT_MS  # 2000 orbits x 0.0891 ms
    rate = np.where(o2.connected & ~off, rng.lognormal(np.log(0.1), 0.3, o2.connected.shape), 0)
    signal = rng.poisson(rate * den).astype(np.float64)
    every = signal + rng.poisson(np.where(o2.connected & ~off, 2.0, 0.0))
    eff_den = rng.poisson(np.where(o2.connected, 40.0, 0.0)).astype(np.float64)
    eff = np.where(off, 0.0, 0.95)
    eff_num = rng.binomial(eff_den.astype(np.int64), eff).astype(np.float64)
    orbits = np.zeros((o2.num_ds, 130))
    orbits[:, 1:129] = (every.sum(axis=1) / 128)[:, None]
    return {
        "Occupancy_Elec": (every, den),
        "OccupancySignal_Elec": (signal, den),
        "Pseudoeff_Elec": (eff_num, eff_den),
        "DigitOrbit_Elec": orbits,
        "DigitSignalOrbit_Elec": orbits,
    }


def mch_specs(work: Path, tag: str, counts: dict[str, Any], demo: dict[str, Any]) -> list[Any]:
    o2 = load_o2_mapping()
    x, y = [o2.num_ds, 0, o2.num_ds], [CHANNELS, 0, CHANNELS]
    specs: list[dict[str, Any]] = []
    for name, value in counts.items():
        path = str(work / f"{tag}_{name}.root")
        if isinstance(value, tuple):
            num, den = value
            np.save(work / f"{tag}_{name}_num.npy", num)
            den_spec: Any = den
            if not np.isscalar(den):
                np.save(work / f"{tag}_{name}_den.npy", den)
                den_spec = str(work / f"{tag}_{name}_den.npy")
            specs.append(
                {
                    "kind": "ratio",
                    "class": "TH2Ratio<TH2F>",
                    "name": name,
                    "x": x,
                    "y": y,
                    "num": str(work / f"{tag}_{name}_num.npy"),
                    "den": den_spec,
                    "path": path,
                }
            )
        else:
            np.save(work / f"{tag}_{name}.npy", value)
            specs.append(
                {
                    "kind": "th2",
                    "name": name,
                    "x": x,
                    "y": [130, -1, 129],
                    "values": str(work / f"{tag}_{name}.npy"),
                    "path": path,
                }
            )
    for name in ("ClusterChargeHist", "ClusterSizeHist"):
        h = demo["Preclusters"][name]
        np.save(work / f"{tag}_{name}.npy", h.inner())
        ax, ay = h.axes
        specs.append(
            {
                "kind": "th2",
                "name": name,
                "x": [len(ax.edges) - 1, ax.edges[0], ax.edges[-1]],
                "y": [len(ay.edges) - 1, ay.edges[0], ay.edges[-1]],
                "values": str(work / f"{tag}_{name}.npy"),
                "path": str(work / f"{tag}_{name}.root"),
            }
        )
    return specs


def test_o2dpg_mch_json_on_qc_class_maps_of_o2s_layout(
    build: Path, tmp_path: Path, reference_configs: Path
) -> None:
    store = LocalRepository(tmp_path / "qcdb", fsync=False)
    runs = vertexing_runs(2, 2024)
    rng = np.random.default_rng(18)
    expected_rates = {}
    o2 = load_o2_mapping()
    for run, dead in zip(runs, ((), (505, 605)), strict=True):
        counts = mch_counts(rng, dead)
        specs = mch_specs(tmp_path, str(run.number), counts, mch_objects(rng, run))
        root_write(build, tmp_path, specs)
        for spec in specs:
            ratio = spec["kind"] == "ratio"
            task = "Preclusters" if spec["name"].startswith(("Pseudo", "Cluster")) else "Digits"
            stored(
                store,
                run,
                task,
                Path(spec["path"]),
                spec["name"],
                "MCH",
                RATIO_CLASS if ratio else "TH2F",
                f"o2::quality_control_modules::muonchambers::{task}Task",
            )
        # QC's TH2ElecMapReductor: the float32 cells of the pads O2 connects, averaged.
        signal, den = counts["OccupancySignal_Elec"]
        cells = (signal.astype(np.float32) * np.float32(1 / den)).astype(np.float32)
        per_de = [
            cells[(o2.ds_de_index == d.index)[:, None] & o2.connected].astype(np.float64)
            for d in o2.des
        ]
        expected_rates[run.number] = {
            d.index: v.mean() for d, v in zip(o2.des, per_de, strict=True)
        }
    config = load(str(reference_configs / "mch.json"), OVERRIDES.format(store.root))
    Engine(config, EngineOptions(parallel=False)).run()
    assert verdicts(store, "qc_async/MCH/QO/DigitsCheck") == {
        runs[0].number: "Good",
        runs[1].number: "Bad",
    }
    assert verdicts(store, "qc_async/MCH/QO/PreclustersCheck") == {
        runs[0].number: "Good",
        runs[1].number: "Bad",
    }
    for run in runs:
        filters = {"RunNumber": str(run.number)}
        info = store.get("qc_async/MCH/MO/Digits/RatesSignal/MeanRate", run.sor, filters)
        mean_rate = decode_histogram(info.data).inner()
        for index, value in expected_rates[run.number].items():
            assert mean_rate[index] == pytest.approx(value, rel=1e-6), (run.number, index)
    store.close()


# -- ZDC -----------------------------------------------------------------------------------


def test_o2dpg_zdc_json_on_th1fs_filled_event_by_event(
    build: Path, tmp_path: Path, reference_configs: Path
) -> None:
    store = LocalRepository(tmp_path / "qcdb", fsync=False)
    runs = vertexing_runs(2, 2024)
    rng = np.random.default_rng(6)
    expected = expected_values()
    config_doc = json.loads((reference_configs / "zdc.json").read_text())
    task = config_doc["qc"]["postprocessing"]["RecPP"]
    peak_range = {"h_summary_Peak1n": (1.0, 200.0), "h_summary_Peak1p": (2.0, 250.0)}
    root_values: dict[int, dict[str, dict[str, float]]] = {}
    for run, issue in zip(runs, ("", "dead ZNA common PMT"), strict=True):
        specs = []
        for name, (values, bins, low, high, _) in zdc_events(rng, expected, issue).items():
            np.save(tmp_path / f"{name}.npy", values)
            specs.append(
                {
                    "kind": "th1_events",
                    "name": name,
                    "x": [bins, low, high],
                    "events": str(tmp_path / f"{name}.npy"),
                    "range": [1.0, 200.0],
                    "path": str(tmp_path / f"{run.number}_{name}.root"),
                }
            )
        # The Peak1p range: one more spec per proton TDC amplitude.
        results = root_write(build, tmp_path, specs)
        p_specs = [
            dict(s, range=[2.0, 250.0], path=s["path"] + ".p")
            for s in specs
            if s["name"].startswith("h_TDC_ZP") and s["name"].endswith("_A")
        ]
        p_results = root_write(build, tmp_path, p_specs)
        root_values[run.number] = {s["name"]: r for s, r in zip(specs, results, strict=True)}
        for s, r in zip(p_specs, p_results, strict=True):
            root_values[run.number][s["name"]]["peak1p"] = r["peak"]
        for spec in specs:
            stored(store, run, "Rec", Path(spec["path"]), spec["name"], "ZDC", "TH1F", TASK_CLASS)
    config = load(str(reference_configs / "zdc.json"), OVERRIDES.format(store.root))
    Engine(config, EngineOptions(parallel=False)).run()
    assert verdicts(store, "qc_async/ZDC/QO/RecCheck") == {
        runs[0].number: "Good",
        runs[1].number: "Bad",
    }
    families = {
        "h_summary_ADC": "dataSourcesADC",
        "h_summary_TDC": "dataSourcesTDC",
        "h_summary_TDCA": "dataSourcesTDCA",
        "h_summary_Peak1n": "dataSourcesPeak1n",
        "h_summary_Peak1p": "dataSourcesPeak1p",
    }
    for run in runs:
        filters = {"RunNumber": str(run.number)}
        for summary, key in families.items():
            got = decode_histogram(
                store.get(f"qc_async/ZDC/MO/RecPP/{summary}", run.sor, filters).data
            )
            names = [n.split(":", 1)[1] for source in task[key] for n in source["names"]]
            for index, name in enumerate(names, start=1):
                ours = root_values[run.number][name]
                if summary in peak_range:
                    want = ours["peak1p" if summary.endswith("1p") else "peak"]
                    assert got.values[index] == pytest.approx(want, abs=1e-4), (summary, name)
                    assert got.variances is None  # QC never sets errors: ROOT shows sqrt
                else:
                    assert got.values[index] == pytest.approx(ours["mean"], rel=1e-6)
                    assert got.variances is not None
                    assert np.sqrt(got.variances[index]) == pytest.approx(
                        ours["mean_error"], rel=1e-5
                    )
    store.close()
