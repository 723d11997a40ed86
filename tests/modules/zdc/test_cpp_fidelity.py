"""ZDC post-processing and check against QC's C++ (issue 18, point 6): each test crafts an input
and expects the value C++ QC computes from it, with the source it follows.

Sources (AliceO2Group/QualityControl, ``Modules/ZDC/src/``): ZDCRecDataPostProcessing.cxx
(``updateSummaryPeak1nHistos``, ``updateSummaryADCHistos``), ZDCRecDataCheck.cxx (``check``,
``setChCheck``, ``beautify``); ROOT's TH1::GetStats, TAxis::SetRangeUser / SetRange.
"""

from __future__ import annotations

import numpy as np
import pytest

from qcflow.demo.zdc import fill_zdc
from qcflow.modules.zdc.check import parse_limits
from qcflow.modules.zdc.families import BY_PREFIX
from qcflow.modules.zdc.postprocessing import mean_and_error, peak_position
from qcflow.objects.quality import Quality
from qcflow.objects.root import Axis, Histogram, decode_histogram
from qcflow.qcdb.local import LocalRepository
from tests.modules.conftest import run_engine, shipped
from tests.modules.zdc.test_check import ACTIVITY, ALL_ZERO, check, summaries


def test_6a_peak_summaries_have_no_stored_errors(store: LocalRepository) -> None:
    # updateSummaryPeak1nHistos/Peak1pHistos only SetBinContent (never SetBinError), on a TH1F
    # without Sumw2: ROOT's GetBinError is then sqrt(content). The mean summaries get
    # SetBinError(bin, h->GetMeanError()).
    runs = fill_zdc(store, runs=1, passes=("apass1",))
    run_engine(shipped("zdc", store, "qc.postprocessing.ZDCQuality.active=false;"))
    for name, stored in (
        ("h_summary_Peak1n", False),
        ("h_summary_Peak1p", False),
        ("h_summary_ADC", True),
    ):
        h = decode_histogram(store.get(f"qc_async/ZDC/MO/RecPP/{name}", runs[0].sor).data)
        assert (h.variances is not None) == stored, name


def test_6b_a_range_beyond_the_axis_keeps_the_flow_bins() -> None:
    # SetRangeUser(1., 200.) on an axis [10, 100): FindFixBin gives 0 and n + 1, SetRange keeps
    # them (fFirst = 0, fLast = n + 1), GetMaximumBin looks at them: an underflow of 50 entries
    # wins, and its centre is GetBinCenter(0) = 10 - 1/2 bin width.
    edges = np.linspace(10.0, 100.0, 91)
    values = np.zeros(92)
    values[0], values[30] = 50.0, 10.0
    h = Histogram("TH1F", "h", "", (Axis(edges),), values)
    assert peak_position(h, 1.0, 200.0) == 9.5


def test_6c_the_mean_is_recomputed_from_bins_when_ftsumw_is_0() -> None:
    # TH1::GetStats: `if ((fTsumw == 0 && fEntries > 0) || range)` -> sums over bins 1..n from
    # contents and centres: one bin [2, 3) with 5 -> mean 2.5 (not 0), error 0.
    h = Histogram("TH1F", "h", "", (Axis(np.arange(11.0)),), np.zeros(12), entries=4.0)
    h.values[3] = 5.0
    h.stats = {"fTsumw": 0.0, "fTsumw2": 0.0, "fTsumwx": 0.0, "fTsumwx2": 0.0}
    assert mean_and_error(h) == (2.5, 0.0)


def test_6d_bands_keep_their_sign() -> None:
    # setChCheck: minW = expected - warning, maxW = expected + warning (no fabs): "40;-10;20"
    # gives minW = 50, maxW = 30; 35 is then below minW (>= minE 20) and above maxW (< maxE
    # 60): a warning, where the absolute band [30, 50] would call it fine.
    limits = parse_limits("ADC_ZNAC", "40;-10;20")
    assert limits.flags(35.0) == (True, False)
    assert limits.flags(45.0) == (True, False)
    assert limits.flags(10.0) == (False, True)


def test_6e_qcs_adc_medium_text_and_peak1p_ok_label() -> None:
    # check(): "It is medium because in ADC Summary N channels:..."; beautify():
    # h_summary_Peak1p when good -> "TDC Amplitude OK".
    adc = [0.0] * 26
    adc[0] = 1.5  # inside the error band (2), outside the warning band (1)
    c = check(ALL_ZERO)
    quality = c.check(summaries(ADC=adc), ACTIVITY)
    assert quality == Quality.MEDIUM
    assert [f.comment for f in quality.flags] == [
        "It is medium because in ADC Summary 1 channels: ADC_ZNAC have a value in the medium range"
    ]
    peak1p = BY_PREFIX["PEAK1P"].name
    labels = c.beautify(f"RecPP/{peak1p}", summaries()[f"RecPP/{peak1p}"], quality)
    assert labels is not None and labels[0].text == "TDC Amplitude OK"


@pytest.mark.parametrize("value", [35.0, 45.0])
def test_6d_a_negative_band_warns_where_qc_warns(value: float) -> None:
    params = dict(ALL_ZERO, ADC_ZNAC="40;-10;20")
    adc = [0.0] * 26
    adc[0] = value
    assert check(params).check(summaries(ADC=adc), ACTIVITY) == Quality.MEDIUM
