"""What a report shows, read from any QCDB through the Repository protocol.

For one provenance, period and pass (the listings' ``PeriodName``/``PassName`` filters):

- **qualities**: every quality object under ``<prov>/<DET>/QO/...``; per (path, run) the most
  recently created version (a check that ran twice for a run counts once). Objects of run 0
  (a verdict about the whole period) go to a "period" row;
- **runs**: the runs of those qualities and of the monitor objects of every detector (so a
  detector without checks still shows its runs, as "no check");
- **plots**: the newest PNG object of each path under ``<prov>/<DET>/MO/...`` (trend plots of
  TrendingTask, SliceTrendingTask, QualityTask...). A plot published as a ROOT graph has
  its PNG at the graph's path plus ``.png`` (:data:`qcflow.objects.paths.PNG_COMPANION`): the
  entry is named after the graph. A ROOT graph (TGraph, TGraphErrors, TMultiGraph) whose
  newest version has no companion at least as new -- MCH's in-task trends are published
  without one -- is an entry of its own (:attr:`PlotEntry.from_graph`): the report draws its
  PNG from the graph.

A detector is shown when it has quality objects or plots (``GLO``, which only holds the
vertexing inputs of the beam-spot trending, is not; ``TST``, its output, is).

Which qualities a cell shows: every quality object of the detector for the run -- for qcflow's
configs ZDC's ``RecCheck`` and its aggregate ``ZDCQuality/ZDCQuality``, MCH's ``DigitsCheck`` and
``PreclustersCheck``; EMC's and the example's configs have no checks. The cell's colour is the
worst of them (QC's order: Good < Medium < Bad < Null).

Verdicts: by default every quality object is downloaded and decoded (the report shows flags
and writes each object). With ``decode=False`` (the UI's matrix) a verdict comes from the
listing's ``qc_quality`` metadata (:func:`~qcflow.objects.quality.listed_quality`) and an
object is decoded only when its :attr:`QualityEntry.qo` is first asked for; objects whose
metadata names no verdict (stores of older versions or other writers) are decoded at once.

Nothing for the period and pass: :func:`nothing_found` says so and what the store does hold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from qcflow.objects.metadata import OBJECT_TYPE, PASS_NAME, PERIOD_NAME, RUN_NUMBER
from qcflow.objects.paths import PNG_COMPANION
from qcflow.objects.plots import GRAPH_CLASSES
from qcflow.objects.quality import Quality, QualityObject, listed_quality
from qcflow.qcdb.model import ObjectInfo, order_key
from qcflow.qcdb.repository import Repository

__all__ = ["PlotEntry", "QualityEntry", "ReportData", "collect", "nothing_found", "worst"]

PNG = "image/png"
_HINTS = 10  # periods named in the hint of an empty report


@dataclass(frozen=True)
class QualityEntry:
    """One quality object: its detector, name (path after ``QO/``), run and verdict.

    ``quality`` is the verdict (with its flags when decoded, the level alone when listed);
    ``qo``, the decoded object, is read from the QCDB when first asked for.
    """

    detector: str
    name: str
    run: int
    quality: Quality
    info: ObjectInfo
    load: Callable[[], QualityObject] = field(repr=False, compare=False)

    @cached_property
    def qo(self) -> QualityObject:
        return self.load()


@dataclass(frozen=True)
class PlotEntry:
    """One plot: its detector, name (the path after ``MO/``, without ``.png``) and object:
    a PNG, or (``from_graph``) a ROOT graph whose PNG is drawn from it."""

    detector: str
    name: str
    info: ObjectInfo
    from_graph: bool = False


@dataclass
class ReportData:
    """Everything a report page is made of."""

    qcdb: str
    provenance: str
    period: str
    pass_name: str
    detectors: list[str] = field(default_factory=list)
    runs: dict[int, tuple[int, int]] = field(default_factory=dict)  # run -> (SOR, EOR)
    qualities: dict[tuple[int, str], list[QualityEntry]] = field(default_factory=dict)
    plots: list[PlotEntry] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)  # detectors with quality objects

    def cell(self, run: int, detector: str) -> list[QualityEntry]:
        return self.qualities.get((run, detector), [])


def worst(qualities: list[Quality]) -> Quality:
    """The worst level (Null is the worst, as in QC)."""
    out = qualities[0]
    for quality in qualities[1:]:
        if quality.is_worse_than(out):
            out = quality
    return out


def _run(info: ObjectInfo) -> int:
    text = info.metadata.get(RUN_NUMBER, "0")
    return int(text) if text.isascii() and text.isdigit() else 0


def collect(
    repo: Repository,
    period: str,
    pass_name: str,
    *,
    provenance: str = "qc_async",
    read: Callable[[ObjectInfo], bytes] | None = None,
    decode: bool = True,
) -> ReportData:
    """Read the qualities, runs and plots of a period and pass (see the module docstring;
    ``decode=False`` takes verdicts from the listing and decodes objects when asked)."""
    data = ReportData(repo.url, provenance, period, pass_name)
    filters = {PERIOD_NAME: period, PASS_NAME: pass_name}
    fetch = read or (lambda info: repo.download(info.id).data)
    for folder in repo.subfolders(provenance):
        detector = folder.rsplit("/", 1)[-1]
        judged = _qualities(repo, data, detector, filters, fetch, decode)
        plotted = _monitor_objects(repo, data, detector, filters)
        if judged or plotted:
            data.detectors.append(detector)
    data.runs = dict(sorted(data.runs.items()))
    return data


def _qualities(
    repo: Repository,
    data: ReportData,
    detector: str,
    filters: dict[str, str],
    fetch: Callable[[ObjectInfo], bytes],
    decode: bool,
) -> bool:
    prefix = f"{data.provenance}/{detector}/QO/"
    newest: dict[tuple[str, int], ObjectInfo] = {}
    for info in repo.browse(prefix + ".*", filters):  # newest first
        newest.setdefault((info.path, _run(info)), info)
    for (path, run), info in sorted(newest.items()):
        entry = _entry(detector, path.removeprefix(prefix), run, info, fetch, decode)
        data.qualities.setdefault((run, detector), []).append(entry)
        if run:
            data.runs.setdefault(run, (info.valid_from, info.valid_until))
        data.checked.add(detector)
    return bool(newest)


def _entry(
    detector: str,
    name: str,
    run: int,
    info: ObjectInfo,
    fetch: Callable[[ObjectInfo], bytes],
    decode: bool,
) -> QualityEntry:
    """The entry of one quality object, decoded now unless its listing names its verdict."""
    listed = None if decode else listed_quality(info.metadata)
    if listed is not None:
        return QualityEntry(
            detector, name, run, listed, info, lambda: QualityObject.decode(fetch(info), info.path)
        )
    qo = QualityObject.decode(fetch(info), info.path)
    return QualityEntry(detector, name, run, qo.quality, info, lambda: qo)


def _monitor_objects(
    repo: Repository, data: ReportData, detector: str, filters: dict[str, str]
) -> bool:
    prefix = f"{data.provenance}/{detector}/MO/"
    listing = repo.browse(prefix + ".*", filters)
    newest_plot: dict[str, ObjectInfo] = {}
    newest_graph: dict[str, ObjectInfo] = {}
    for info in listing:
        run = _run(info)
        if run:
            data.runs.setdefault(run, (info.valid_from, info.valid_until))
        if info.content_type == PNG:
            newest_plot.setdefault(info.path, info)
        elif info.metadata.get(OBJECT_TYPE) in GRAPH_CLASSES:
            newest_graph.setdefault(info.path, info)
    entries = {
        path: PlotEntry(detector, path.removeprefix(prefix).removesuffix(PNG_COMPANION), info)
        for path, info in newest_plot.items()
    }
    for path, info in newest_graph.items():
        companion = newest_plot.get(path + PNG_COMPANION)
        # The store's own order (creation time, then the version's UUID ticks): creation times
        # alone tie when both were stored in the same millisecond.
        if companion is None or order_key(companion) < order_key(info):
            entries.pop(path + PNG_COMPANION, None)  # an older rendering: drawn anew instead
            entries[path] = PlotEntry(detector, path.removeprefix(prefix), info, from_graph=True)
    data.plots.extend(entries[path] for path in sorted(entries))
    return bool(entries)


def nothing_found(repo: Repository, data: ReportData) -> str:
    """Why a report of ``data``'s period and pass would be empty, with what the store holds
    (its periods and their passes under the provenance, else its top folders) as a hint."""
    where = (
        f"no objects of period {data.period!r}, pass {data.pass_name!r} under "
        f"{data.provenance}/ in QCDB {data.qcdb}"
    )
    held: dict[str, set[str]] = {}
    for info in repo.browse(f"{data.provenance}/.*"):
        period = info.metadata.get(PERIOD_NAME, "")
        if period:
            held.setdefault(period, set()).add(info.metadata.get(PASS_NAME, "") or "no pass")
    if held:
        shown = [f"{p} ({', '.join(sorted(held[p]))})" for p in sorted(held)[:_HINTS]]
        more = f" and {len(held) - _HINTS} more" if len(held) > _HINTS else ""
        return f"{where}; it has periods (passes): {'; '.join(shown)}{more}"
    tops = repo.subfolders("")
    if tops:
        return f"{where}; nothing under {data.provenance}/, its top folders: {', '.join(tops)}"
    return f"{where}; the store is empty"
