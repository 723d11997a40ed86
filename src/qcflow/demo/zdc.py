"""Synthetic ZDC reconstructed data (what ``ZDC/MO/Rec`` of an asynchronous pass holds), for
qcflow's ``zdc.json``.

Per run, TH1F with the binning of QC's ``ZDCRecDataTask`` (its defaults):

- ``h_ADC_<channel>`` (26: ZNA/ZPA/ZNC/ZPC towers TC, T1-T4, SUM and ZEM1, ZEM2), 1051 bins over
  [-202.5, 4002.5]: amplitudes around the expected value of the check's ``ADC_<label>``;
- ``h_TDC_<channel>_V`` (10), 2500 bins over [-5.5, 245.5]: times around ``TDC_<label>``;
- ``h_TDC_<channel>_A`` (10), 2000 bins over [-0.5, 3999.5]: TDC amplitudes whose mean is
  ``TDCA_<label>``; the neutron (ZN) and proton (ZP) ones have a single-nucleon peak at
  ``PEAK1N_*`` / ``PEAK1P_*`` on top of a broad distribution.

The expected values are read from the check parameters of the shipped ``zdc.json``, so the data
fit the config. Each run scales every channel by 1 +- 3 %. Deliberately off runs
(:data:`ZDC_ISSUES`, by index in the period): a dead ZNA common PMT (``ADC_ZNAC`` at the
pedestal: Bad) and a ZNA gain drop (``ADC_ZNAC`` at 65 %: in the warning band, Medium).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from qcflow.demo.shapes import th1_from_values
from qcflow.demo.store import store_histograms
from qcflow.demo.vertexing import DemoRun, vertexing_runs
from qcflow.objects.activity import Activity
from qcflow.objects.root import Histogram
from qcflow.qcdb.repository import Repository

__all__ = ["ZDC_ISSUES", "expected_values", "fill_zdc", "zdc_events", "zdc_objects"]

DETECTOR, TASK = "ZDC", "Rec"
TASK_CLASS = "o2::quality_control_modules::zdc::ZDCRecDataTask"
CONFIG = Path(__file__).resolve().parents[1] / "data" / "qc-postproc-async" / "zdc.json"
#: Run index in the period -> (what is wrong, the verdict it must get).
ZDC_ISSUES: Mapping[int, tuple[str, str]] = {
    6: ("dead ZNA common PMT: ADC_ZNAC at the pedestal", "Bad"),
    21: ("dead ZNA common PMT: ADC_ZNAC at the pedestal", "Bad"),
    40: ("dead ZNA common PMT: ADC_ZNAC at the pedestal", "Bad"),
    14: ("ZNA gain drop: ADC_ZNAC at 65 %", "Medium"),
    33: ("ZNA gain drop: ADC_ZNAC at 65 %", "Medium"),
}
_ENTRIES = 3000
_TOWERS = {"C": "TC", "1": "T1", "2": "T2", "3": "T3", "4": "T4", "S": "SUM"}


def _hist_channel(label: str) -> str:
    """``ZNAC`` -> ``ZNA_TC``, ``ZPA3`` -> ``ZPA_T3``, ``ZEM1`` -> ``ZEM1``."""
    return label if label.startswith("ZEM") else f"{label[:3]}_{_TOWERS[label[3]]}"


def expected_values(config: Path = CONFIG) -> dict[str, float]:
    """The expected value of every ``<FAMILY>_<label>`` check parameter of ``zdc.json``."""
    params = json.loads(config.read_text())["qc"]["checks"]["RecCheck"]["checkParameters"]
    return {k: float(v.split(";")[0]) for k, v in params.items() if k and ";" in v}


def _tdca(rng: np.random.Generator, label: str, mean: float, peak: float | None) -> np.ndarray:
    if peak is None:  # ZEM: no single-nucleon peak
        return rng.normal(mean, 0.12 * mean, _ENTRIES)
    fraction = 0.3
    broad_mean = (mean - fraction * peak) / (1 - fraction)
    n_peak = int(_ENTRIES * fraction)
    broad = rng.normal(broad_mean, 0.45 * broad_mean, _ENTRIES - n_peak)
    return np.concatenate((rng.normal(peak, 0.1 * peak, n_peak), broad))


#: One histogram's events and binning: (values, bins, low, high, x title).
Events = tuple[np.ndarray, int, float, float, str]


def zdc_events(
    rng: np.random.Generator, expected: Mapping[str, float], issue: str = ""
) -> dict[str, Events]:
    """One run's ``ZDC/MO/Rec`` events, per histogram (what the reconstruction task fills)."""
    out: dict[str, Events] = {}
    for key, mean in expected.items():
        family, label = key.split("_", 1)
        scale = 1 + rng.normal(0, 0.03)
        channel = _hist_channel(label)
        if family == "ADC":
            if label == "ZNAC" and "dead" in issue:
                values = rng.normal(0.3, 0.5, _ENTRIES)
            else:
                gain = 0.65 if label == "ZNAC" and "gain" in issue else 1.0
                values = rng.normal(mean * scale * gain, 0.25 * mean + 1, _ENTRIES)
            out[f"h_ADC_{channel}"] = (values, 1051, -202.5, 4002.5, "ADC")
        elif family == "TDC":
            values = rng.normal(mean + rng.normal(0, 0.02), 0.25, _ENTRIES)
            out[f"h_TDC_{channel}_V"] = (values, 2500, -5.5, 245.5, "t (ns)")
        elif family == "TDCA":
            peak = expected.get(f"PEAK1N_{label}", expected.get(f"PEAK1P_{label}"))
            values = _tdca(rng, label, mean * scale, peak)
            out[f"h_TDC_{channel}_A"] = (values, 2000, -0.5, 3999.5, "amplitude")
    return out


def zdc_objects(
    rng: np.random.Generator, expected: Mapping[str, float], issue: str = ""
) -> dict[str, Histogram]:
    """One run's ``ZDC/MO/Rec`` histograms."""
    return {
        name: th1_from_values(name, name, values, bins, low, high, title)
        for name, (values, bins, low, high, title) in zdc_events(rng, expected, issue).items()
    }


def fill_zdc(
    repo: Repository,
    *,
    period: str = "LHC24ab",
    passes: tuple[str, ...] = ("apass1", "apass2"),
    runs: int = 50,
    seed: int = 2024,
    provenance: str = "qc_async",
    progress: Callable[[str], None] | None = None,
) -> list[DemoRun]:
    """Store the ZDC objects of ``runs`` runs for each pass; return the runs."""
    schedule = vertexing_runs(runs, seed)
    expected = expected_values()
    for index, pass_name in enumerate(passes):
        rng = np.random.default_rng([seed, 7, index])
        for number, run in enumerate(schedule):
            activity = Activity(run.number, "PHYSICS", period, pass_name, provenance)
            issue = ZDC_ISSUES.get(number, ("", ""))[0]
            store_histograms(
                repo,
                activity,
                (run.sor, run.eor),
                detector=DETECTOR,
                task=TASK,
                task_class=TASK_CLASS,
                objects=zdc_objects(rng, expected, issue),
            )
        if progress:
            progress(f"ZDC {pass_name}: {len(schedule)} runs of {period} stored")
    return schedule
