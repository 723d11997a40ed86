"""``qcflow demo``'s input: its working directory and pass, refused in one line before any work;
and the problem the EMC data plant, listed although no check judges it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qcflow.cli import main
from qcflow.demo.datasets import Recording, issues
from qcflow.demo.emc import DEAD_SUPERMODULE, NOT_JUDGED, fill_emc
from qcflow.demo.vertexing import vertexing_runs
from qcflow.objects.metadata import RUN_NUMBER
from qcflow.objects.root import decode_histogram


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.startswith("qcflow: error: "), err
    assert err.count("\n") == 1, err
    return err


def test_a_file_as_working_directory_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("mine\n")
    assert main(["demo", "--workdir", str(readme)]) == 2
    assert "README.md" in _one_line_error(capsys)
    assert readme.read_text() == "mine\n"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_working_directory_that_cannot_be_made_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--workdir", "/proc/nope"]) == 2
    assert "/proc/nope" in _one_line_error(capsys)


def test_a_pass_the_data_do_not_have_is_refused_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workdir = tmp_path / "demo-output"
    assert main(["demo", "--workdir", str(workdir), "--passName", "apass9"]) == 2
    err = _one_line_error(capsys)
    assert "'apass9'" in err and "apass1 and apass2" in err
    assert not workdir.exists()
    assert "deliberately bad runs" not in capsys.readouterr().out


def _cells_per_supermodule(recording: Recording, run: int) -> np.ndarray:
    """Mean cells per event of each supermodule in ``run`` (x: cells, y: supermodule)."""
    for path, data, options in recording.calls:
        if path.endswith("/Cells/ncellsPerEventSupermodule") and (
            options["metadata"][RUN_NUMBER] == str(run)
        ):
            histogram = decode_histogram(data)
            counts = histogram.values[1:-1, 1:-1]
            edges = np.asarray(histogram.axes[0].edges)
            centres = (edges[:-1] + edges[1:]) / 2
            return (counts * centres[:, None]).sum(axis=0) / counts.sum(axis=0)
    raise AssertionError(run)


def test_the_dead_emc_supermodule_is_listed_and_is_in_the_data() -> None:
    runs = vertexing_runs(20)
    listed = {i.run: i for i in issues(runs=20) if i.detector == "EMC"}
    assert sorted(listed) == [runs[7].number, runs[18].number]
    assert all(i.verdict == NOT_JUDGED for i in listed.values())
    assert all(f"supermodule {DEAD_SUPERMODULE} off" in i.description for i in listed.values())
    recording = Recording()
    fill_emc(recording, passes=("apass1",), runs=8)  # type: ignore[arg-type]
    dead = _cells_per_supermodule(recording, runs[7].number)
    alive = _cells_per_supermodule(recording, runs[6].number)
    assert dead[DEAD_SUPERMODULE] < 1 < alive[DEAD_SUPERMODULE]
    assert np.delete(dead, DEAD_SUPERMODULE).min() > 1
