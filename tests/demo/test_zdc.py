"""Synthetic ZDC data: what zdc.json reads, around its check's expected values."""

from __future__ import annotations

import numpy as np
import pytest

from qcflow.demo.zdc import expected_values, zdc_objects


def test_every_source_of_the_config_is_made_around_its_expected_value() -> None:
    expected = expected_values()
    objects = zdc_objects(np.random.default_rng(1), expected)
    assert len(objects) == 46
    assert objects["h_ADC_ZNA_TC"].mean() == pytest.approx(expected["ADC_ZNAC"], rel=0.1)
    assert objects["h_ADC_ZEM2"].mean() == pytest.approx(expected["ADC_ZEM2"], rel=0.1)
    assert objects["h_TDC_ZPC_SUM_V"].mean() == pytest.approx(expected["TDC_ZPCS"], abs=0.1)
    amplitude = objects["h_TDC_ZNA_TC_A"]
    assert amplitude.mean() == pytest.approx(expected["TDCA_ZNAC"], rel=0.1)
    centres = amplitude.axes[0].centers
    window = (centres >= 1) & (centres <= 200)
    peak = centres[window][np.argmax(amplitude.inner()[window])]
    assert peak == pytest.approx(expected["PEAK1N_ZNAC"], rel=0.2)


def test_issues_move_the_zna_common_channel() -> None:
    expected = expected_values()
    dead = zdc_objects(np.random.default_rng(1), expected, "dead")["h_ADC_ZNA_TC"].mean()
    gain = zdc_objects(np.random.default_rng(1), expected, "gain")["h_ADC_ZNA_TC"].mean()
    assert abs(dead) < 1
    assert 10 < expected["ADC_ZNAC"] - gain < 20  # the warning band of "40.2;10;20"
