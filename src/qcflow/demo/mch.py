"""Synthetic MCH digits and pre-clusters (``MCH/MO/Digits``, ``MCH/MO/Preclusters``) for
qcflow's ``mch.json``, on qcflow's reduced mapping (:mod:`qcflow.modules.mch.mapping`).

Per run:

- ``Occupancy_Elec`` / ``OccupancySignal_Elec``: ``TH2FRatio`` rate maps, x = global DS index,
  y = channel; numerator = digits per pad (Poisson), uniform denominator = orbits x 0.0891 ms,
  so the ratio is the pad's rate in kHz. Signal rates fall with the station (0.3 kHz in ST1 to
  0.03 kHz in ST5), vary by +-10 % from run to run and by a log-normal spread from pad to pad;
  all digits (noise included) are about twice the signal;
- ``DigitOrbit_Elec`` / ``DigitSignalOrbit_Elec``: TH2F digits per DS and orbit in the TF (130 bins
  over [-1, 129));
- ``Pseudoeff_Elec``: ``TH2FRatio`` with per-pad denominators (clusters seen on the other
  cathode) and numerators (also seen on this one): efficiency about 0.95;
- ``ClusterChargeHist`` (156 x 256 over [0, 12800)) and ``ClusterSizeHist`` (468 x 100): cluster
  charge per DE index and cluster size per DE index and cathode.

Deliberately bad runs (:data:`MCH_ISSUES`, by index in the period): two facing slats without high
voltage (no digits, efficiency 0: both checks Bad), six noisy slats spread over stations 3-5
(rates above ``MaxRate``: DigitsCheck Medium), and two facing quadrants with low efficiency
(PreclustersCheck Bad).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from qcflow.demo.store import store_object
from qcflow.demo.vertexing import DemoRun, vertexing_runs
from qcflow.modules.mch.mapping import CHANNELS, NUM_DE, ElecMapping, load_mapping
from qcflow.objects.activity import Activity
from qcflow.objects.ratio import HistogramRatio, encode_ratio
from qcflow.objects.root import Axis, Histogram, encode_histogram
from qcflow.qcdb.repository import Repository

__all__ = ["MCH_ISSUES", "MchIssue", "fill_mch", "mch_objects"]

FloatArray = npt.NDArray[np.float64]
ORBIT_MS = 0.0891


@dataclass(frozen=True)
class MchIssue:
    """What is wrong in a run: DEs without HV, noisy DEs, DEs with low efficiency."""

    description: str
    digits: str  # the verdict DigitsCheck must give
    preclusters: str  # the verdict PreclustersCheck must give
    dead: tuple[int, ...] = ()
    noisy: tuple[int, ...] = ()
    inefficient: tuple[int, ...] = ()


#: Run index in the period -> the issue of that run.
MCH_ISSUES: Mapping[int, MchIssue] = {
    11: MchIssue("HV trip: DE505 and DE605 (facing slats) without digits", "Bad", "Bad",
                 dead=(505, 605)),
    29: MchIssue("HV trip: DE810 and DE710 (facing slats) without digits", "Bad", "Bad",
                 dead=(710, 810)),
    17: MchIssue("noisy slats: DE502, DE615, DE706, DE820, DE911, DE1003", "Medium", "Good",
                 noisy=(502, 615, 706, 820, 911, 1003)),
    37: MchIssue("low efficiency: DE100 and DE200 (facing quadrants)", "Good", "Bad",
                 inefficient=(100, 200)),
}  # fmt: skip
_SIGNAL_KHZ = (0.3, 0.15, 0.08, 0.05, 0.03)


def _per_ds(mapping: ElecMapping, per_de_index: FloatArray) -> FloatArray:
    return per_de_index[mapping.ds_de_index][:, None] * np.ones((1, CHANNELS))


def _de_mask(mapping: ElecMapping, des: tuple[int, ...]) -> npt.NDArray[np.bool_]:
    wanted = np.zeros(NUM_DE, dtype=bool)
    for de in mapping.des:
        wanted[de.index] = de.id in des
    return wanted[mapping.ds_de_index]


def _elec_axes(mapping: ElecMapping) -> tuple[Axis, Axis]:
    return (Axis(np.arange(mapping.num_ds + 1.0), "DS index"),
            Axis(np.arange(CHANNELS + 1.0), "channel"))  # fmt: skip


def _rates(mapping: ElecMapping, rng: np.random.Generator, issue: MchIssue | None) -> FloatArray:
    station = mapping.station_of_index()
    base = np.array(_SIGNAL_KHZ)[station - 1] * (1 + rng.normal(0, 0.1))
    rates = _per_ds(mapping, base) * rng.lognormal(0, 0.3, (mapping.num_ds, CHANNELS))
    if issue:
        rates[_de_mask(mapping, issue.noisy)] *= 60.0
        rates[_de_mask(mapping, issue.dead)] = 0.0
    return np.where(mapping.connected, rates, 0.0)


def _digits(mapping: ElecMapping, rng: np.random.Generator, run: DemoRun,
            issue: MchIssue | None) -> dict[str, Histogram | HistogramRatio]:  # fmt: skip
    orbits = (run.eor - run.sor) / 1000 * 11.245  # a 0.1 % sample of the orbits
    den = orbits * ORBIT_MS
    signal = rng.poisson(_rates(mapping, rng, issue) * den).astype(np.float64)
    noise = rng.poisson(np.where(mapping.connected, 1.0, 0.0) * signal.mean()).astype(np.float64)
    every = signal + noise
    axes = _elec_axes(mapping)
    orbit_axis = Axis(np.linspace(-1, 129, 131), "orbit in TF")
    out: dict[str, Histogram | HistogramRatio] = {}
    for name, counts in (("Occupancy_Elec", every), ("OccupancySignal_Elec", signal)):
        out[name] = HistogramRatio.from_counts(name, "Occupancy (kHz)", axes, counts, den)
    for name, counts in (("DigitOrbit_Elec", every), ("DigitSignalOrbit_Elec", signal)):
        per_ds = counts.sum(axis=1)
        spread = rng.multinomial(1000, np.full(128, 1 / 128)) / 1000  # orbits 0..127
        values = np.zeros((mapping.num_ds, 130))
        values[:, 1:129] = per_ds[:, None] * spread[None, :]
        out[name] = _plain(name, "Digit orbits", (axes[0], orbit_axis), values)
    return out


def _preclusters(mapping: ElecMapping, rng: np.random.Generator,
                 issue: MchIssue | None) -> dict[str, Histogram | HistogramRatio]:  # fmt: skip
    connected = mapping.connected
    den = rng.poisson(np.where(connected, 40.0, 0.0)).astype(np.float64)
    efficiency = np.clip(rng.normal(0.95, 0.02, den.shape), 0, 1)
    if issue:
        efficiency[_de_mask(mapping, issue.inefficient)] = 0.55
        efficiency[_de_mask(mapping, issue.dead)] = 0.0
    num = rng.binomial(den.astype(np.int64), efficiency).astype(np.float64)
    out: dict[str, Histogram | HistogramRatio] = {
        "Pseudoeff_Elec": HistogramRatio.from_counts(
            "Pseudoeff_Elec", "Pseudo-efficiency", _elec_axes(mapping), num, den
        )
    }
    de_axis = Axis(np.arange(NUM_DE + 1.0), "DE index")
    charge = rng.gamma(4.0, 180.0 * (1 + rng.normal(0, 0.05)), (NUM_DE, 400))
    counts = np.stack([np.histogram(c, bins=256, range=(0, 12800))[0] for c in charge])
    out["ClusterChargeHist"] = _plain("ClusterChargeHist", "Cluster charge",
                                      (de_axis, Axis(np.linspace(0, 12800, 257), "ADC")),
                                      counts.astype(np.float64))  # fmt: skip
    bending = rng.poisson(3.0, (NUM_DE, 300)) + 1
    non_bending = rng.poisson(2.0, (NUM_DE, 300)) + 1
    sizes = np.stack((bending, non_bending, bending + non_bending), axis=1).reshape(3 * NUM_DE, -1)
    size_counts = np.stack([np.bincount(s, minlength=100)[:100] for s in sizes])
    out["ClusterSizeHist"] = _plain("ClusterSizeHist", "Cluster size",
                                    (Axis(np.arange(3 * NUM_DE + 1.0), "3 x DE index + cathode"),
                                     Axis(np.arange(101.0), "pads")),
                                    size_counts.astype(np.float64))  # fmt: skip
    return out


def _plain(name: str, title: str, axes: tuple[Axis, Axis], values: FloatArray) -> Histogram:
    return Histogram.from_counts("TH2F", name, title, axes, values)


Objects = dict[str, Histogram | HistogramRatio]


def mch_objects(
    rng: np.random.Generator, run: DemoRun, issue: MchIssue | None = None
) -> dict[str, Objects]:
    """One run's objects by QC task (``Digits``, ``Preclusters``)."""
    mapping = load_mapping()
    return {"Digits": _digits(mapping, rng, run, issue),
            "Preclusters": _preclusters(mapping, rng, issue)}  # fmt: skip


def _payload(obj: Histogram | HistogramRatio) -> tuple[bytes, str]:
    if isinstance(obj, HistogramRatio):
        return encode_ratio(obj), obj.object_type
    return encode_histogram(obj), obj.class_name


def fill_mch(
    repo: Repository,
    *,
    period: str = "LHC24ab",
    passes: tuple[str, ...] = ("apass1", "apass2"),
    runs: int = 50,
    seed: int = 2024,
    provenance: str = "qc_async",
    progress: Callable[[str], None] | None = None,
) -> list[DemoRun]:
    """Store the MCH objects of ``runs`` runs for each pass; return the runs."""
    schedule = vertexing_runs(runs, seed)
    task_class = "o2::quality_control_modules::muonchambers::{}Task"
    for index, pass_name in enumerate(passes):
        rng = np.random.default_rng([seed, 13, index])
        for number, run in enumerate(schedule):
            activity = Activity(run.number, "PHYSICS", period, pass_name, provenance)
            for task, objects in mch_objects(rng, run, MCH_ISSUES.get(number)).items():
                for name, obj in objects.items():
                    data, object_type = _payload(obj)
                    store_object(repo, activity, (run.sor, run.eor), detector="MCH", task=task,
                                 task_class=task_class.format(task), name=name, data=data,
                                 object_type=object_type)  # fmt: skip
        if progress:
            progress(f"MCH {pass_name}: {len(schedule)} runs of {period} stored")
    return schedule
