"""What a person watching a run sees: the live panel's figures, plain lines in a pipe."""

from __future__ import annotations

from qcflow.runner.progress import PlainProgress, Snapshot, make_progress

SNAPSHOT = Snapshot(
    counts={"done": 3, "cached": 1, "running": 2, "failed": 1, "ready": 1, "pending": 3},
    total=11,
    cpu=1.5,
    cpu_limit=2.0,
    mem=300.0,
    mem_limit=4000.0,
)


def test_the_live_panel_shows_counts_and_bookings(capsys):
    progress = make_progress("rich")
    progress.update(SNAPSHOT)
    progress.line("[1/11] done a (0.01 s)")
    progress.close()
    out, err = capsys.readouterr()
    assert out == ""  # the panel and its lines go to stderr
    assert "[1/11] done a (0.01 s)" in err
    assert "done 4  running 2  failed 1  pending 4  of 11" in err
    assert "cpu 1.5/2 cores   mem 300/4000 MB" in err


def test_auto_is_plain_lines_when_not_on_a_terminal(capsys):
    progress = make_progress("auto")
    assert isinstance(progress, PlainProgress)
    progress.update(SNAPSHOT)
    progress.line("[1/11] done a (0.01 s)")
    progress.close()
    assert capsys.readouterr() == ("[1/11] done a (0.01 s)\n", "")


def test_none_prints_nothing(capsys):
    progress = make_progress("none")
    progress.update(SNAPSHOT)
    progress.line("anything")
    progress.close()
    assert capsys.readouterr() == ("", "")
