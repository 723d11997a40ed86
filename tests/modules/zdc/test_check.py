"""ZDCRecDataCheck: bands, the verdict formula, flags, and the deliberately bad demo runs."""

from __future__ import annotations

import numpy as np
import pytest

from qcflow.demo.zdc import ZDC_ISSUES, fill_zdc
from qcflow.modules.zdc.check import (
    ERROR,
    OK,
    WARNING,
    ChannelLimits,
    RecDataCheck,
    parse_limits,
)
from qcflow.modules.zdc.families import BY_PREFIX, FAMILIES
from qcflow.objects.activity import Activity
from qcflow.objects.quality import Quality
from qcflow.objects.root import Axis, Histogram, decode_histogram
from qcflow.postprocessing.config.check_config import CheckConfig
from qcflow.postprocessing.config.parameters import CustomParameters
from qcflow.qcdb.local import LocalRepository
from tests.modules.conftest import run_engine, shipped

ACTIVITY = Activity(1, "PHYSICS", "P", "apass1", "qc_async")


def test_bands_are_absolute_with_qcs_boundaries() -> None:
    limits = parse_limits("ADC_ZNAC", "40;10;20")
    assert limits == ChannelLimits("ADC_ZNAC", 40.0, 10.0, 20.0)
    assert [limits.classify(v) for v in (40, 30, 29.9, 20, 19.9, 50, 50.1, 60, 60.1)] == [
        OK,
        OK,
        WARNING,
        WARNING,
        ERROR,
        OK,
        WARNING,
        OK,
        ERROR,  # 60 = expected + error: OK (QC)
    ]


@pytest.mark.parametrize("text", [None, "", "abc", "1;2"])
def test_a_missing_or_unreadable_parameter_checks_nothing(text: str | None) -> None:
    assert parse_limits("TDC_ZNAC", text).classify(1e30) == OK


def summaries(**values: list[float]) -> dict[str, Histogram]:
    out = {}
    for family in FAMILIES:
        contents = np.array(values.get(family.prefix, [0.0] * len(family.channels)), dtype=float)
        axis = Axis(np.arange(len(contents) + 1.0), "", list(family.channels))
        name = family.name
        out[f"RecPP/{name}"] = Histogram("TH1F", name, "", (axis,), np.pad(contents, 1))
    return out


def check(parameters: dict[str, str]) -> RecDataCheck:
    config = CheckConfig(
        "RecCheck",
        "RecCheck",
        "zdc::ZDCRecDataCheck",
        "QcZDC",
        parameters=CustomParameters.flat(parameters),
    )
    c = RecDataCheck()
    c.configure(config)
    return c


def family_parameters(prefix: str, spec: str) -> dict[str, str]:
    return {f"{prefix}_{c}": spec for c in BY_PREFIX[prefix].channels}


ALL_ZERO = {k: v for f in BY_PREFIX for k, v in family_parameters(f, "0;1;2").items()}


def test_all_in_range_is_good() -> None:
    assert check(ALL_ZERO).check(summaries(), ACTIVITY) == Quality.GOOD


def test_an_adc_error_is_bad_with_the_channel_in_a_flag() -> None:
    adc = [0.0] * 26
    adc[0] = 5.0
    quality = check(ALL_ZERO).check(summaries(ADC=adc), ACTIVITY)
    assert quality == Quality.BAD
    text = "Task quality is bad because in ADC Summary 1 channels: ADC_ZNAC have a value in the"
    assert [f.comment for f in quality.flags] == [f"{text} bad range"]


def test_an_error_in_tdca_alone_is_medium_as_in_qc() -> None:
    tdca = [0.0] * 10
    tdca[3] = 5.0
    quality = check(ALL_ZERO).check(summaries(TDCA=tdca), ACTIVITY)
    assert quality == Quality.MEDIUM
    assert "TDCA_ZPAS" in quality.flags[0].comment


def test_errors_in_tdca_and_both_peaks_are_bad() -> None:
    quality = check(ALL_ZERO).check(
        summaries(TDCA=[5.0] * 10, PEAK1N=[5.0] * 4, PEAK1P=[5.0] * 4), ACTIVITY
    )
    assert quality == Quality.BAD
    assert len(quality.flags) == 3


def test_a_warning_is_medium() -> None:
    tdc = [0.0] * 10
    tdc[1] = 1.5
    quality = check(ALL_ZERO).check(summaries(TDC=tdc), ACTIVITY)
    assert quality == Quality.MEDIUM
    assert "1 channels: TDC_ZNAS have a value in the medium range" in quality.flags[0].comment


def test_a_bin_count_mismatch_is_null_and_a_missing_summary_is_not_good() -> None:
    objects = summaries()
    objects["RecPP/h_summary_TDC"].values = np.zeros(5)
    assert check(ALL_ZERO).check(objects, ACTIVITY) == Quality.NULL
    partial = summaries()
    del partial["RecPP/h_summary_Peak1p"]
    quality = check(ALL_ZERO).check(partial, ACTIVITY)
    assert quality == Quality.MEDIUM
    assert "h_summary_Peak1p is missing" in quality.flags[0].comment


def test_message_positions_are_kept_in_the_quality() -> None:
    quality = check({**ALL_ZERO, "TDC_POS_MSG_X": "0.01"}).check(summaries(), ACTIVITY)
    assert quality.metadata == {"TDC_POS_MSG_X": "0.01"}


def test_the_demo_runs_get_the_verdicts_they_were_made_for(store: LocalRepository) -> None:
    runs = fill_zdc(store, runs=16, passes=("apass1",))
    config = shipped("zdc", store, "qc.postprocessing.ZDCQuality.active=false;")
    run_engine(config)
    c = RecDataCheck()
    c.configure(config.checks["RecCheck"])
    for index, run in enumerate(runs):
        filters = {"RunNumber": str(run.number)}
        objects = {
            f"RecPP/{name}": decode_histogram(
                store.get(f"qc_async/ZDC/MO/RecPP/{name}", run.sor, filters).data
            )
            for name in (family.name for family in FAMILIES)
        }
        quality = c.check(objects, ACTIVITY)
        assert quality.name == ZDC_ISSUES.get(index, ("", "Good"))[1], (index, quality.flags)


def test_beautify_writes_qcs_message_at_the_familys_position() -> None:
    tdc = [0.0] * 10
    tdc[0] = 5.0
    c = check({**ALL_ZERO, "TDC_POS_MSG_X": "0.3", "TDC_POS_MSG_Y": "0.8"})
    objects = summaries(TDC=tdc)
    quality = c.check(objects, ACTIVITY)
    [label] = c.beautify("RecPP/h_summary_TDC", objects["RecPP/h_summary_TDC"], quality)
    assert label.text == "Error TDC value in the channels: TDC_ZNAC is not correct. Call the expert"
    assert (label.x, label.y, label.color) == (0.3, 0.8, 632)
    [ok] = c.beautify("RecPP/h_summary_ADC", objects["RecPP/h_summary_ADC"], quality)
    assert (ok.text, ok.color, ok.x) == ("ADC OK", 416, 0.15)
    assert c.beautify("RecPP/other", None, quality) is None
