"""--produce-script writes a bash script that really runs the workflow, serially."""

from __future__ import annotations

import subprocess

from qcflow.runner import prepare
from qcflow.runner.script import render_script, write_script

from .conftest import task, write_workflow


def test_script_runs_the_workflow(tmp_path, options):
    tasks = [
        task("a", "echo a > out.txt", cwd="A"),
        task("b", 'cat ../A/out.txt; echo "$G $T"', ["a"], cwd="B", env={"T": "task"}),
        task("c", "echo it\\'s c", ["b"]),
    ]
    wf = write_workflow(tmp_path / "wf.json", tasks, {"G": "global", "D": "$PWD/x"})
    script = tmp_path / "run.sh"
    write_script(prepare(wf, options), script)
    run = subprocess.run([str(script)], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "all 3 tasks done"
    assert (tmp_path / "B" / "b.log").read_text().split() == ["a", "global", "task"]
    assert (tmp_path / "c.log").read_text() == "it's c\n"
    assert not list(tmp_path.rglob("*.log_done"))


def test_script_gives_each_task_its_notes_file(tmp_path, options):
    wf = write_workflow(
        tmp_path / "wf.json", [task("n", 'echo "nothing to do" > "$QCFLOW_TASK_NOTES"', cwd="Q")]
    )
    (tmp_path / "Q").mkdir()
    (tmp_path / "Q" / "n.notes").write_text("stale\n")
    script = tmp_path / "run.sh"
    write_script(prepare(wf, options), script)
    run = subprocess.run([str(script)], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "Q" / "n.notes").read_text() == "nothing to do\n"


def test_script_stops_at_the_first_failure(tmp_path, options):
    tasks = [task("a", "exit 4"), task("b", "touch ran", ["a"])]
    wf = write_workflow(tmp_path / "wf.json", tasks)
    script = tmp_path / "run.sh"
    write_script(prepare(wf, options), script)
    run = subprocess.run(
        ["bash", str(script)], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert run.returncode == 1
    assert "task a failed (exit code 4)" in run.stderr
    assert not (tmp_path / "ran").exists()


def test_script_orders_tasks_by_need(tmp_path, options):
    tasks = [task("late", "true", ["mid"]), task("mid", "true", ["first"]), task("first")]
    wf = write_workflow(tmp_path / "wf.json", tasks)
    text = render_script(prepare(wf, options))
    assert text.index("# --- first") < text.index("# --- mid") < text.index("# --- late")
