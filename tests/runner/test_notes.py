"""Task notes (issue 12, item 12, the runner's half) and failed tasks' logs (item 20)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from qcflow.cli import main
from qcflow.runner import notes, run_workflow
from qcflow.runner.notes import MAX_BYTES, MAX_CHARS, MAX_LINES
from qcflow.runner.summary import print_table
from tests.cli.test_run import QUIET
from tests.runner.conftest import task, write_workflow


def test_a_task_that_did_nothing_says_why_in_summary_and_table(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps a long cell at 80 columns
    wf = write_workflow(
        tmp_path / "wf.json",
        [
            task(
                "qc", 'echo "0 objects published: no input for run 550123" > "$QCFLOW_TASK_NOTES"'
            ),
            task("quiet", "true", cwd="sub"),
        ],
    )
    assert main(["run", "-f", str(wf), *QUIET]) == 0
    out = capsys.readouterr().out
    assert "notes" in out and "no input for run 550123" in out
    summary = json.loads((tmp_path / "summary.json").read_text())
    notes = {t["name"]: t["notes"] for t in summary["tasks"]}
    assert notes == {"qc": ["0 objects published: no input for run 550123"], "quiet": []}


def test_notes_path_is_absolute_next_to_the_log_and_cleared_per_attempt(tmp_path, options):
    # Attempt 1 writes a note and fails; attempt 2 writes none: the stale note must not show.
    cmd = (
        'echo "$QCFLOW_TASK_NOTES" > where.txt; '
        'if [ -e once ]; then exit 0; fi; touch once; echo stale > "$QCFLOW_TASK_NOTES"; exit 1'
    )
    wf = write_workflow(tmp_path / "wf.json", [task("t", cmd, cwd="QC", retry_count=1)])
    result = run_workflow(wf, options)
    assert result.ok
    where = (tmp_path / "QC" / "where.txt").read_text().strip()
    assert where == str(tmp_path / "QC" / "t.notes")
    assert result.summary["tasks"][0]["notes"] == []


def test_notes_are_bounded_and_invalid_utf8_is_replaced(tmp_path, options):
    cmd = (
        "{ printf 'bad \\377 byte\\n\\n'; for i in $(seq 1 50); do echo \"line $i\"; done; "
        "head -c 5000 /dev/zero | tr '\\0' x; } > \"$QCFLOW_TASK_NOTES\""
    )
    wf = write_workflow(tmp_path / "wf.json", [task("t", cmd)])
    notes = run_workflow(wf, options).summary["tasks"][0]["notes"]
    assert len(notes) == MAX_LINES
    assert notes[0] == "bad \ufffd byte"
    assert notes[1:] == [f"line {i}" for i in range(1, MAX_LINES)]
    assert all(len(n) <= MAX_CHARS for n in notes)


def test_a_failed_run_names_each_failed_tasks_log(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    wf = write_workflow(
        tmp_path / "wf.json",
        [task("a", "exit 3", cwd="A"), task("b", "exit 4", cwd="B"), task("c", "true")],
    )
    assert main(["run", "-f", str(wf), "-k", *QUIET]) == 1
    err = capsys.readouterr().err
    assert f"qcflow: task a failed: see {tmp_path / 'A' / 'a.log'}" in err
    assert f"qcflow: task b failed: see {tmp_path / 'B' / 'b.log'}" in err
    assert "task c" not in err


@given(st.binary(max_size=3 * MAX_BYTES))
@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_bytes_make_bounded_notes(tmp_path, data: bytes):
    path = tmp_path / "t.notes"
    path.write_bytes(data)
    got = notes.read(path)
    assert len(got) <= MAX_LINES
    assert all(line and line == line.strip() and len(line) <= MAX_CHARS for line in got)
    notes.clear(path)
    assert notes.read(path) == []


def test_a_large_run_lists_tasks_that_succeeded_with_notes(tmp_path, options):
    tasks = [task(f"t{i}", "true") for i in range(40)]
    tasks.append(task("said", 'echo "no input" > "$QCFLOW_TASK_NOTES"'))
    result = run_workflow(write_workflow(tmp_path / "wf.json", tasks), options)
    console = Console(record=True, width=200)
    print_table(result.summary, console)
    text = console.export_text()
    assert "said" in text and "no input" in text
    assert "t12" not in text


def test_only_files_there_before_the_run_are_removed_before_a_task_starts(
    tmp_path, options, monkeypatch
):
    """A first run unlinks nothing (each directory is listed once); a rerun removes the old
    notes (with the marker), and a retry always clears."""
    import dataclasses

    from qcflow.runner import engine, run_workflow

    from .conftest import task, write_workflow

    removed: list[str] = []
    real_remove = engine.remove_marker
    monkeypatch.setattr(engine, "remove_marker", lambda p: (removed.append(p.name), real_remove(p)))
    noted = 'echo "a note" > "$QCFLOW_TASK_NOTES"'
    flaky = f"{noted}; test -e once || {{ touch once; exit 1; }}"
    wf = write_workflow(
        tmp_path / "wf.json", [task("a", noted), task("b", "true", needs=["a"]), task("c", flaky)]
    )
    first = run_workflow(wf, dataclasses.replace(options, retry_on_failure=1))
    assert first.ok
    assert removed == ["c.log_done"]  # c's retry only
    removed.clear()
    again = run_workflow(wf, dataclasses.replace(options, rerun_from="a"))
    assert again.ok
    # --rerun-from removed a's and b's markers up front; a's notes of the first run are there
    assert removed == ["a.log_done"]
    assert again.summary["tasks"][0]["notes"] == ["a note"]
