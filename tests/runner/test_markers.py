"""Markers and fingerprints: which completions a rerun may trust."""

from __future__ import annotations

import uuid

from qcflow.runner.markers import (
    Marker,
    fingerprint,
    marker_text,
    read_marker,
    remove_marker,
    valid_stamps,
    write_marker,
)


def test_fingerprint_depends_on_cmd_env_and_cwd_only():
    base = fingerprint("echo", {"A": "1", "B": "2"}, "QC")
    assert base == fingerprint("echo", {"B": "2", "A": "1"}, "QC")
    assert base != fingerprint("echo ", {"A": "1", "B": "2"}, "QC")
    assert base != fingerprint("echo", {"A": "1"}, "QC")
    assert base != fingerprint("echo", {"A": "1", "B": "2"}, "./")


def test_write_read_roundtrip_and_remove(tmp_path):
    path = tmp_path / "t.log_done"
    stamp = write_marker(path, "t", "fp", {"a": "s1"}, {"rc": 0})
    assert read_marker(path) == Marker(stamp=stamp, fingerprint="fp", needs={"a": "s1"})
    remove_marker(path)
    assert read_marker(path) is None
    remove_marker(path)  # removing twice is fine


def test_foreign_marker_is_recognised(tmp_path):
    path = tmp_path / "t.log_done"
    path.write_text("TASK-EXIT-CODE: 0\n")
    marker = read_marker(path)
    assert marker is not None
    assert marker.foreign
    assert marker.stamp.startswith("foreign:")


#   0 ─> 1 ─> 2
NEEDS = [[], [0], [1]]
NAMES = ["a", "b", "c"]
FPS = ["fa", "fb", "fc"]


def chain(*markers):
    return valid_stamps([0, 1, 2], NEEDS, NAMES, FPS, list(markers))


def test_all_valid():
    ms = [Marker("s0", "fa"), Marker("s1", "fb", {"a": "s0"}), Marker("s2", "fc", {"b": "s1"})]
    assert chain(*ms) == {0: "s0", 1: "s1", 2: "s2"}


def test_changed_fingerprint_invalidates_downstream_too():
    ms = [Marker("s0", "fa"), Marker("s1", "OLD", {"a": "s0"}), Marker("s2", "fc", {"b": "s1"})]
    assert chain(*ms) == {0: "s0"}


def test_upstream_rerun_stamp_mismatch_invalidates():
    ms = [Marker("s0-new", "fa"), Marker("s1", "fb", {"a": "s0"}), Marker("s2", "fc", {"b": "s1"})]
    assert chain(*ms) == {0: "s0-new"}


def test_missing_marker_in_the_middle_invalidates_below():
    assert chain(Marker("s0", "fa"), None, Marker("s2", "fc", {"b": "s1"})) == {0: "s0"}


def test_foreign_markers_are_trusted_when_their_needs_are():
    ms = [Marker("s0", "fa"), Marker("foreign:1"), Marker("s2", "fc", {"b": "foreign:1"})]
    assert chain(*ms) == {0: "s0", 1: "foreign:1", 2: "s2"}
    assert chain(None, Marker("foreign:1"), None) == {}


def test_markers_cut_short_are_never_trusted(tmp_path):
    path = tmp_path / "t.log_done"
    path.write_text("")
    assert read_marker(path) is None
    write_marker(path, "t", "fp", {}, {})
    path.write_text(path.read_text()[:40])
    assert read_marker(path) is None


def test_a_stamp_is_a_fresh_version_4_uuid():
    """The stamp is built from random bytes directly (no UUID object): still a uuid4's hex."""
    stamps = {marker_text("a", "f" * 64, {}, {})[0] for _ in range(200)}
    assert len(stamps) == 200
    for stamp in stamps:
        parsed = uuid.UUID(hex=stamp)
        assert parsed.hex == stamp
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
