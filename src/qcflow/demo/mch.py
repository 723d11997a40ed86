"""Synthetic MCH digits and pre-clusters (``MCH/MO/Digits``, ``MCH/MO/Preclusters``) for
qcflow's ``mch.json``, real-shaped: O2's electronics mapping (16,820 dual-SAMPA boards x 64
channels, :func:`~qcflow.modules.mch.mapping.load_o2_mapping`) and QC's classes.

Per run of :func:`mch_run_indices` (every :data:`MCH_STRIDE`-th run of the period: a full-size
run is ~11 MB of ROOT files and ~1 s of post-processing, so MCH has fewer runs than the other
detectors; the bad runs are among them, spread over the period):

- ``Occupancy_Elec`` / ``OccupancySignal_Elec``: ``TH2Ratio<TH2F>`` (QC's ``TH2FRatio``) rate
  maps, x = O2's global DS index (16,820 bins), y = channel (64); numerator = digits per pad
  (Poisson, in its normal approximation), uniform denominator = orbits x 0.0891 ms (a 0.01 %
  sample of the run's orbits), so the ratio is the pad's rate in kHz. Signal rates fall with
  the station (0.3 kHz in ST1 to 0.03 kHz in ST5), vary by +-10 % from run to run and by a
  log-normal spread from pad to pad; all digits add a noise of about the mean signal;
- ``DigitOrbit_Elec`` / ``DigitSignalOrbit_Elec``: TH2F digits per DS and orbit in the TF
  (16,820 x 130 bins over [-1, 129));
- ``Pseudoeff_Elec``: ``TH2Ratio<TH2F>`` with per-pad denominators (clusters seen on the other
  cathode) and numerators (also seen on this one): efficiency about 0.95;
- ``ClusterChargeHist`` (156 x 256 over [0, 12800)) and ``ClusterSizeHist`` (468 x 100): cluster
  charge per DE index and cluster size per DE index and cathode.

What does not change from run to run is drawn once per pass (:class:`_Template`: the pad-to-pad
spread, the noise, the clusters per pad and the pads' efficiencies); each run draws its digits
(Poisson) and its efficient clusters (binomial) from it.

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
from qcflow.modules.mch.mapping import CHANNELS, NUM_DE, ElecMapping, load_o2_mapping
from qcflow.objects.activity import Activity
from qcflow.objects.ratio import HistogramRatio, encode_ratio
from qcflow.objects.root import Axis, Histogram, encode_histogram
from qcflow.qcdb.repository import Repository

__all__ = ["MCH_ISSUES", "MCH_STRIDE", "MchIssue", "fill_mch", "mch_objects", "mch_run_indices"]

FloatArray = npt.NDArray[np.float64]
ORBIT_MS = 0.0891
#: MCH has the objects of every MCH_STRIDE-th run of the period (indices 0, 6, 12...: 9 of 50,
#: and run 550008 of the README's example).
MCH_STRIDE = 6
#: The fraction of a run's orbits the maps count (orbits per second: 11,245).
ORBIT_SAMPLE = 1e-4


@dataclass(frozen=True)
class MchIssue:
    """What is wrong in a run: DEs without HV, noisy DEs, DEs with low efficiency."""

    description: str
    digits: str  # the verdict DigitsCheck must give
    preclusters: str  # the verdict PreclustersCheck must give
    dead: tuple[int, ...] = ()
    noisy: tuple[int, ...] = ()
    inefficient: tuple[int, ...] = ()


#: Run index in the period (a multiple of MCH_STRIDE) -> the issue of that run.
MCH_ISSUES: Mapping[int, MchIssue] = {
    6: MchIssue(
        "HV trip: DE505 and DE605 (facing slats) without digits", "Bad", "Bad", dead=(505, 605)
    ),
    12: MchIssue(
        "noisy slats: DE502, DE615, DE706, DE820, DE911, DE1003",
        "Medium",
        "Good",
        noisy=(502, 615, 706, 820, 911, 1003),
    ),
    30: MchIssue(
        "low efficiency: DE100 and DE200 (facing quadrants)", "Good", "Bad", inefficient=(100, 200)
    ),
    48: MchIssue(
        "HV trip: DE810 and DE710 (facing slats) without digits", "Bad", "Bad", dead=(710, 810)
    ),
}
_SIGNAL_KHZ = (0.3, 0.15, 0.08, 0.05, 0.03)


def mch_run_indices(runs: int) -> list[int]:
    """The indices, in a period of ``runs`` runs, of the runs MCH has objects of."""
    return list(range(0, runs, MCH_STRIDE))


def _counts(rng: np.random.Generator, mean: FloatArray) -> FloatArray:
    """Poisson counts of these means, in the normal approximation (mean and variance ``mean``,
    rounded, never negative): most means here are 10 or more (the quietest pads of short runs
    about 3), close enough for synthetic data, and it is 6 times faster than ``rng.poisson``
    on a million pads."""
    noise = rng.standard_normal(mean.shape, dtype=np.float32)
    return np.rint(np.maximum(mean + np.sqrt(mean) * noise, 0.0))


def _per_ds(mapping: ElecMapping, per_de_index: FloatArray) -> FloatArray:
    return per_de_index[mapping.ds_de_index][:, None] * np.ones((1, CHANNELS))


def _de_mask(mapping: ElecMapping, des: tuple[int, ...]) -> npt.NDArray[np.bool_]:
    wanted = np.zeros(NUM_DE, dtype=bool)
    for de in mapping.des:
        wanted[de.index] = de.id in des
    return wanted[mapping.ds_de_index]


def _elec_axes(mapping: ElecMapping) -> tuple[Axis, Axis]:
    return (
        Axis(np.arange(mapping.num_ds + 1.0), "DS index"),
        Axis(np.arange(CHANNELS + 1.0), "channel"),
    )


@dataclass(frozen=True)
class _Template:
    """What a pass's runs share (see the module docstring); arrays are (boards, channels).
    ``pseudoeff`` is the pseudo-efficiency map of every run without an efficiency issue: one
    object, so :func:`fill_mch` encodes it once per pass."""

    mapping: ElecMapping
    spread: FloatArray  # log-normal pad-to-pad factor of the rates
    noise: FloatArray  # noise digits per pad
    clusters: FloatArray  # clusters per pad seen on the other cathode
    efficiency: FloatArray
    pseudoeff: HistogramRatio

    @classmethod
    def draw(cls, rng: np.random.Generator) -> _Template:
        mapping = load_o2_mapping()
        connected = mapping.connected
        shape = connected.shape
        spread = np.where(connected, rng.lognormal(0, 0.3, shape), 0.0)
        station = mapping.station_of_index()
        mean_signal = float(np.mean(np.array(_SIGNAL_KHZ)[station - 1]))
        noise = _counts(rng, np.where(connected, mean_signal * _REFERENCE_MS, 0.0))
        clusters = _counts(rng, np.where(connected, 40.0, 0.0))
        efficiency = np.clip(rng.normal(0.95, 0.02, shape), 0, 1)
        pseudoeff = _pseudoeff(mapping, rng, clusters, efficiency)
        return cls(mapping, spread, noise, clusters, efficiency, pseudoeff)


def _pseudoeff(
    mapping: ElecMapping, rng: np.random.Generator, clusters: FloatArray, efficiency: FloatArray
) -> HistogramRatio:
    num = rng.binomial(clusters.astype(np.int64), efficiency).astype(np.float64)
    return HistogramRatio.from_counts(
        "Pseudoeff_Elec", "Pseudo-efficiency", _elec_axes(mapping), num, clusters
    )


#: The denominator (ms) of a 2-hour run.
_REFERENCE_MS = 2 * 3600 * 11245 * ORBIT_SAMPLE * ORBIT_MS


def _rates(t: _Template, rng: np.random.Generator, issue: MchIssue | None) -> FloatArray:
    mapping = t.mapping
    base = np.array(_SIGNAL_KHZ)[mapping.station_of_index() - 1] * (1 + rng.normal(0, 0.1))
    rates = _per_ds(mapping, base) * t.spread
    if issue:
        rates[_de_mask(mapping, issue.noisy)] *= 60.0
        rates[_de_mask(mapping, issue.dead)] = 0.0
    return rates


def _digits(
    t: _Template, rng: np.random.Generator, run: DemoRun, issue: MchIssue | None
) -> dict[str, Histogram | HistogramRatio]:
    mapping = t.mapping
    orbits = (run.eor - run.sor) / 1000 * 11245 * ORBIT_SAMPLE
    den = orbits * ORBIT_MS
    signal = _counts(rng, _rates(t, rng, issue) * den)
    noise = t.noise
    if issue and issue.dead:
        noise = np.where(_de_mask(mapping, issue.dead)[:, None], 0.0, noise)
    every = signal + noise
    axes = _elec_axes(mapping)
    orbit_axis = Axis(np.linspace(-1, 129, 131), "orbit in TF")
    out: dict[str, Histogram | HistogramRatio] = {}
    for name, counts in (("Occupancy_Elec", every), ("OccupancySignal_Elec", signal)):
        out[name] = HistogramRatio.from_counts(name, "Occupancy (kHz)", axes, counts, den)
    spread = rng.multinomial(1000, np.full(128, 1 / 128)) / 1000  # orbits 0..127
    for name, counts in (("DigitOrbit_Elec", every), ("DigitSignalOrbit_Elec", signal)):
        per_ds = counts.sum(axis=1)
        values = np.zeros((mapping.num_ds, 130))
        values[:, 1:129] = np.rint(per_ds[:, None] * spread[None, :])  # digits: whole numbers
        out[name] = _plain(name, "Digit orbits", (axes[0], orbit_axis), values)
    return out


def _preclusters(
    t: _Template, rng: np.random.Generator, issue: MchIssue | None
) -> dict[str, Histogram | HistogramRatio]:
    mapping = t.mapping
    pseudoeff = t.pseudoeff
    if issue and (issue.inefficient or issue.dead):
        efficiency = t.efficiency.copy()
        efficiency[_de_mask(mapping, issue.inefficient)] = 0.55
        efficiency[_de_mask(mapping, issue.dead)] = 0.0
        pseudoeff = _pseudoeff(mapping, rng, t.clusters, efficiency)
    out: dict[str, Histogram | HistogramRatio] = {"Pseudoeff_Elec": pseudoeff}
    de_axis = Axis(np.arange(NUM_DE + 1.0), "DE index")
    charge = rng.gamma(4.0, 180.0 * (1 + rng.normal(0, 0.05)), (NUM_DE, 400))
    counts = np.stack([np.histogram(c, bins=256, range=(0, 12800))[0] for c in charge])
    out["ClusterChargeHist"] = _plain(
        "ClusterChargeHist",
        "Cluster charge",
        (de_axis, Axis(np.linspace(0, 12800, 257), "ADC")),
        counts.astype(np.float64),
    )
    bending = rng.poisson(3.0, (NUM_DE, 300)) + 1
    non_bending = rng.poisson(2.0, (NUM_DE, 300)) + 1
    sizes = np.stack((bending, non_bending, bending + non_bending), axis=1).reshape(3 * NUM_DE, -1)
    size_counts = np.stack([np.bincount(s, minlength=100)[:100] for s in sizes])
    out["ClusterSizeHist"] = _plain(
        "ClusterSizeHist",
        "Cluster size",
        (
            Axis(np.arange(3 * NUM_DE + 1.0), "3 x DE index + cathode"),
            Axis(np.arange(101.0), "pads"),
        ),
        size_counts.astype(np.float64),
    )
    return out


def _plain(name: str, title: str, axes: tuple[Axis, Axis], values: FloatArray) -> Histogram:
    return Histogram.from_counts("TH2F", name, title, axes, values)


Objects = dict[str, Histogram | HistogramRatio]


def mch_objects(
    rng: np.random.Generator,
    run: DemoRun,
    issue: MchIssue | None = None,
    template: _Template | None = None,
) -> dict[str, Objects]:
    """One run's objects by QC task (``Digits``, ``Preclusters``); ``template``: what the runs
    of a pass share (drawn from ``rng`` when not given)."""
    t = template or _Template.draw(rng)
    return {"Digits": _digits(t, rng, run, issue), "Preclusters": _preclusters(t, rng, issue)}


def _payload(obj: Histogram | HistogramRatio) -> tuple[bytes, str]:
    # ZSTD: the full-size maps compress as fast as with ZLIB and a third smaller.
    if isinstance(obj, HistogramRatio):
        return encode_ratio(obj, "zstd"), obj.object_type
    return encode_histogram(obj, compress="zstd"), obj.class_name


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
    """Store the MCH objects of the runs of :func:`mch_run_indices` for each pass; return the
    runs of the period."""
    schedule = vertexing_runs(runs, seed)
    task_class = "o2::quality_control_modules::muonchambers::{}Task"
    for index, pass_name in enumerate(passes):
        rng = np.random.default_rng([seed, 13, index])
        template = _Template.draw(rng)
        shared = _payload(template.pseudoeff)  # encoded once, stored for most runs
        for number in mch_run_indices(runs):
            run = schedule[number]
            activity = Activity(run.number, "PHYSICS", period, pass_name, provenance)
            objects = mch_objects(rng, run, MCH_ISSUES.get(number), template)
            for task, by_name in objects.items():
                for name, obj in by_name.items():
                    data, object_type = shared if obj is template.pseudoeff else _payload(obj)
                    store_object(
                        repo,
                        activity,
                        (run.sor, run.eor),
                        detector="MCH",
                        task=task,
                        task_class=task_class.format(task),
                        name=name,
                        data=data,
                        object_type=object_type,
                    )
        if progress:
            progress(
                f"MCH {pass_name}: {len(mch_run_indices(runs))} of {len(schedule)} runs "
                f"of {period} stored"
            )
    return schedule
