"""QC's QualityObject as a ROOT file (qcflow.objects.root_quality), without ROOT itself.

test_root_quality_root.py checks the same files against CERN ROOT; here: round trips, the
earlier JSON payload, ROOT's checksums (values ROOT 6.40 computed for QC's classes), and that
damaged or foreign payloads are one-line InvalidInput errors.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcflow.errors import InvalidInput
from qcflow.objects import root_quality
from qcflow.objects.activity import VALIDITY_MAX, Activity
from qcflow.objects.quality import FLAG_TYPES, Flag, Quality, QualityObject
from qcflow.objects.root import (
    CCDB_KEY,
    Axis,
    Histogram,
    encode_histogram,
    object_class,
    read_root,
)
from qcflow.objects.streamed import read_key

ACTIVITY = Activity(
    550123, "PHYSICS", "LHC24ab", "apass1", "qc_async", 1_700_000_000_000, 1_700_003_600_000, "PbPb"
)
QO = QualityObject(
    Quality.BAD.with_flag("BadPID", "pions").with_flag("Unknown").with_metadata("CycleNumber", "3"),
    "RecCheck",
    "ZDC",
    "OnAny",
    ("RecPP",),
    ("h_summary_ADC",),
    ACTIVITY,
)

#: TStreamerInfo checksums ROOT 6.40 wrote for QC's classes (declared as QC declares them).
ROOT_CHECKSUMS = {
    "o2::quality_control::core::QualityObject": 429223057,
    "o2::quality_control::core::Quality": 3996880939,
    "pair<string,string>": 1339676482,
    "pair<o2::quality_control::FlagType,string>": 3228635388,
    "o2::quality_control::FlagType": 10559146,
    "o2::quality_control::core::Activity": 1843470502,
    "o2::math_utils::detail::Bracket<unsigned long>": 1094860839,
}


def test_the_payload_is_qcs_root_class_with_its_streamer_infos() -> None:
    data = QO.encode()
    assert data.startswith(b"root")
    assert object_class(data) == "o2::quality_control::core::QualityObject"
    streamers = read_root(data).file.streamers
    assert {name: next(iter(v.values())).member("fCheckSum") for name, v in streamers.items()} == (
        ROOT_CHECKSUMS
    )
    versions = {name: sorted(v) for name, v in streamers.items()}
    assert versions["o2::quality_control::core::QualityObject"] == [7]
    assert versions["o2::quality_control::core::Quality"] == [3]
    assert versions["o2::quality_control::core::Activity"] == [6]


def test_checksums_are_roots() -> None:
    assert {name: root_quality.class_checksum(name) for name in ROOT_CHECKSUMS} == ROOT_CHECKSUMS


def test_json_payloads_of_earlier_stores_are_still_read() -> None:
    old = QO.to_json_bytes()
    assert old.startswith(b"{")
    back = QualityObject.decode(old)
    assert back == QO and back.quality.flags == QO.quality.flags
    assert QualityObject.decode(QO.encode()) == back


def test_open_validity_is_qcs_full_interval() -> None:
    qo = QualityObject(Quality.GOOD, "C", activity=Activity(valid_until=VALIDITY_MAX))
    data = qo.encode()
    assert struct.pack(">Q", 2**64 - 1) in read_key(data, CCDB_KEY)[1]
    assert QualityObject.decode(data).activity.valid_until == VALIDITY_MAX


def test_values_qc_cannot_hold_are_refused() -> None:
    qo = QualityObject(Quality.GOOD, "C", "TST", activity=Activity(number=2**31))
    with pytest.raises(InvalidInput, match="qc/TST/QO/C: a value does not fit QC's QualityObject"):
        qo.encode()


def test_a_root_file_with_another_class_is_named() -> None:
    histogram = Histogram.from_counts(
        "TH1F", "h", "h", (Axis(np.array([0.0, 1.0])),), np.array([0.0, 1.0, 0.0])
    )
    with pytest.raises(InvalidInput, match="qc/X/QO/c: holds a TH1F, not a o2::quality_control"):
        QualityObject.decode(encode_histogram(histogram), "qc/X/QO/c")


texts = st.text(max_size=300)
qualities = st.builds(
    lambda level, name, flags, meta: Quality(level, name, tuple(flags), meta),
    st.integers(0, 2**32 - 1),
    texts,
    st.lists(st.builds(Flag, st.sampled_from(sorted(FLAG_TYPES.values())), texts), max_size=4),
    st.dictionaries(texts, texts, max_size=4),
)
activities = st.builds(
    Activity,
    st.integers(-(2**31), 2**31 - 1),
    texts,
    texts,
    texts,
    texts,
    st.integers(0, 2**62),
    st.integers(0, VALIDITY_MAX),
    texts,
)


@given(qualities, texts, texts, texts, st.lists(texts, max_size=4), activities)
def test_round_trip(
    quality: Quality, check: str, det: str, policy: str, names: list[str], activity: Activity
) -> None:
    qo = QualityObject(quality, check, det, policy, tuple(names), tuple(reversed(names)), activity)
    back = QualityObject.decode(qo.encode())
    assert back == qo
    assert back.quality.flags == quality.flags and back.quality.metadata == quality.metadata


@settings(max_examples=60)
@given(st.data())
def test_damaged_payloads_are_invalid_input(data: st.DataObject) -> None:
    payload = bytearray(QO.encode())
    for _ in range(data.draw(st.integers(1, 4))):
        payload[data.draw(st.integers(0, len(payload) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(4, len(payload)))
    try:
        QualityObject.decode(bytes(payload[:cut]), "qc/X/QO/c")
    except InvalidInput as err:
        message = str(err)
    else:
        return  # a flipped byte in a name or padding still reads
    assert message.startswith("qc/X/QO/c: ") and "\n" not in message


def test_a_lone_surrogate_is_written_as_a_question_mark() -> None:
    """JSON configs may hold one (``"\\ud800"``); UTF-8 cannot, so it is replaced, not fatal."""
    qo = QualityObject(Quality.GOOD.with_metadata("k", "a\ud800b"), "C\ud800")
    back = QualityObject.decode(qo.encode())
    assert back.check_name == "C?" and back.quality.metadata == {"k": "a?b"}


def test_a_known_streamer_list_is_read_without_opening_the_file_with_uproot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """QOs written alike share their streamer list: once it is parsed, the next QO's bytes are
    read directly (no uproot file per object)."""
    from qcflow.objects import streamed

    QualityObject.decode(QO.encode())
    other = QualityObject(Quality.BAD, "OtherCheck", "TST", activity=Activity(number=7))

    def no_uproot(data: bytes) -> None:
        raise AssertionError("opened with uproot")

    monkeypatch.setattr(streamed, "read_root", no_uproot)
    back = QualityObject.decode(other.encode())
    assert (back.quality, back.check_name, back.activity.number) == (Quality.BAD, "OtherCheck", 7)
