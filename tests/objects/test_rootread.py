"""The direct TH1/TH2 reader (objects/rootread.py + root.read_histogram) gives uproot's values.

Every histogram shape qcflow writes, random ones (hypothesis) and ROOT-written files (when ROOT
is installed) are read both ways and compared member by member, exactly; broken bytes make the
direct reader step aside (``Unsupported``) and never answer differently from uproot.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qcflow.objects.root import (
    Axis,
    Histogram,
    decode_histogram,
    encode_histogram,
    histogram_from_file,
    object_class,
    read_histogram,
    read_root,
)
from qcflow.objects.rootread import RootFile, Unsupported


def assert_same(fast: Histogram, slow: Histogram) -> None:
    """Equal member by member, dtypes and shapes included."""
    assert (fast.class_name, fast.name, fast.title) == (slow.class_name, slow.name, slow.title)
    assert len(fast.axes) == len(slow.axes)
    for mine, theirs in zip(fast.axes, slow.axes, strict=True):
        assert (mine.title, mine.labels) == (theirs.title, theirs.labels)
        assert mine.edges.dtype == theirs.edges.dtype
        np.testing.assert_array_equal(mine.edges, theirs.edges)
    assert fast.values.dtype == slow.values.dtype
    np.testing.assert_array_equal(fast.values, slow.values)
    assert (fast.variances is None) == (slow.variances is None)
    if fast.variances is not None and slow.variances is not None:
        assert fast.variances.shape == slow.variances.shape
        np.testing.assert_array_equal(fast.variances, slow.variances)
    assert fast.entries == slow.entries
    assert fast.stats == slow.stats


def both_ways(data: bytes) -> tuple[Histogram, Histogram]:
    return read_histogram(RootFile(data)), histogram_from_file(read_root(data))


def _histogram(
    cls: str,
    bins: list[int],
    values: np.ndarray,
    *,
    variable: bool = False,
    labels: list[str] | None = None,
    sumw2: bool = True,
) -> Histogram:
    axes = []
    for i, n in enumerate(bins):
        edges = np.linspace(-2.0, 3.0, n + 1)
        if variable and i == 0:
            edges = np.cumsum(np.arange(1.0, n + 2.0)) - 1
        axes.append(Axis(edges, f"axis {i} [cm]", labels if i == 0 else None))
    inner = values.reshape(bins)
    h = Histogram.from_counts(cls, "h", "a title", tuple(axes), inner)
    if sumw2:
        h.variances = h.values * 1.5
    return h


SHAPES = [
    ("TH1F", [20], {}),
    ("TH1D", [7], {"variable": True}),
    ("TH1F", [3], {"labels": ["a", "bé", "c"]}),
    ("TH1D", [5], {"sumw2": False}),
    ("TH2F", [4, 6], {}),
    ("TH2D", [5, 3], {"variable": True}),
    ("TH2F", [300, 200], {}),  # compressed in several places, a few hundred kB
]


@pytest.mark.parametrize(("cls", "bins", "options"), SHAPES)
def test_what_qcflow_writes_reads_as_uproot_reads_it(
    cls: str, bins: list[int], options: dict[str, object]
) -> None:
    values = np.random.default_rng(5).poisson(3.0, int(np.prod(bins))).astype(np.float64)
    fast, slow = both_ways(encode_histogram(_histogram(cls, bins, values, **options)))  # type: ignore[arg-type]
    assert_same(fast, slow)


def test_decoding_a_histogram_needs_no_uproot(tmp_path: Path) -> None:
    """The trending path (decode + reduce) imports neither uproot nor awkward: worker processes
    and per-run jobs skip their import, and no generic model is built per object."""
    path = tmp_path / "h.root"
    path.write_bytes(encode_histogram(_histogram("TH1F", [10], np.arange(10.0))))
    code = (
        "import sys\nfrom qcflow.objects.codec import decode\n"
        "from qcflow.objects.root import Histogram, object_class\n"
        "from qcflow.qcdb.model import ObjectInfo\n"
        f"data = open({str(path)!r}, 'rb').read()\n"
        "assert object_class(data) == 'TH1F'\n"
        "info = ObjectInfo('a/b', 'x', 0, 1, 0, 0, content_type='application/root')\n"
        "assert isinstance(decode(data, info), Histogram)\n"
        "print(sorted(m for m in ('uproot', 'awkward') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_other_compressions_and_classes_go_through_uproot() -> None:
    data = encode_histogram(_histogram("TH1F", [4], np.ones(4)))
    with pytest.raises(Unsupported):
        RootFile(b"not root")
    with pytest.raises(Unsupported):
        read_histogram(RootFile(data), "nothing")
    assert object_class(b"not root") is None
    assert decode_histogram(data).class_name == "TH1F"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cls=st.sampled_from(["TH1F", "TH1D", "TH2F", "TH2D"]),
    nx=st.integers(1, 40),
    ny=st.integers(1, 5),
    title=st.text(max_size=300),
    scale=st.floats(-1e30, 1e30, allow_nan=False),
    labelled=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_random_histograms_read_as_uproot_reads_them(
    cls: str, nx: int, ny: int, title: str, scale: float, labelled: bool, seed: int
) -> None:
    bins = [nx] if cls.startswith("TH1") else [nx, ny]
    values = np.random.default_rng(seed).normal(0, 1, int(np.prod(bins))) * scale
    labels = [f"bin {i} {title[:5]}" for i in range(nx)] if labelled else None
    h = _histogram(cls, bins, values, labels=labels)
    h.title = title
    fast, slow = both_ways(encode_histogram(h))
    assert_same(fast, slow)


_CORRUPTED = encode_histogram(_histogram("TH2F", [6, 4], np.arange(24.0)))


@settings(max_examples=300, deadline=None)
@given(
    cut=st.integers(0, len(_CORRUPTED)),
    at=st.integers(0, len(_CORRUPTED) - 1),
    byte=st.integers(0, 255),
)
def test_broken_bytes_make_the_direct_reader_step_aside(cut: int, at: int, byte: int) -> None:
    """Truncated or altered files: the direct reader answers ``Unsupported`` (and uproot then
    decides) or reads what uproot reads -- never another exception."""
    for data in (_CORRUPTED[:cut], _CORRUPTED[:at] + bytes([byte]) + _CORRUPTED[at + 1 :]):
        try:
            fast = read_histogram(RootFile(data))
        except Unsupported:
            continue
        try:
            slow = histogram_from_file(read_root(data))
        except Exception:  # uproot stops at a broken header field the direct reader skips
            continue
        assert_same(fast, slow)
