"""``--update-resources`` files: whatever JSON they hold, estimates or one clear error."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcflow.errors import InvalidInput
from qcflow.runner.estimates import read_estimates

SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
NUMBERS = st.none() | st.floats() | st.integers() | st.text(max_size=3)
O2DPG_ROW = st.fixed_dictionaries({}, optional={"cpu": NUMBERS, "mem": NUMBERS})
SUMMARY_ROW = st.fixed_dictionaries(
    {"status": st.sampled_from(["done", "failed"])},
    optional={
        "name": st.text(max_size=4) | st.integers(),
        "cpu_mean_percent": NUMBERS,
        "peak_pss_mb": NUMBERS,
        "duration": NUMBERS,
    },
)
FILES = (
    st.dictionaries(st.text(max_size=4), O2DPG_ROW | SCALARS, max_size=4)
    | st.fixed_dictionaries({"tasks": st.lists(SUMMARY_ROW | SCALARS, max_size=4)})
    | st.lists(SCALARS, max_size=3)
    | SCALARS
)


@given(FILES)
def test_any_json_gives_sane_estimates_or_one_line_error(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "res.json"
        path.write_text(json.dumps(data))
        try:
            estimates = read_estimates(path)
        except InvalidInput as err:
            message = str(err)
        else:
            message = ""
    if message:
        assert message.startswith("--update-resources: ")
        assert "\n" not in message
        return
    for estimate in estimates.values():
        for value in (estimate.cpu, estimate.mem, estimate.walltime):
            assert value is None or (math.isfinite(value) and value >= 0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"a": {"mem": float("nan")}}, "a.mem: expected a non-negative number, got nan"),
        ({"tasks": [{"status": "done", "peak_pss_mb": 5}]}, "tasks[0]: a task without a name"),
        (
            {"tasks": [{"name": "a", "status": "done", "cpu_mean_percent": "x"}]},
            "tasks[0].cpu_mean_percent: expected a number, got 'x'",
        ),
        (
            {"a": list(range(1000))},
            "a: expected an object with cpu/mem, got [0, 1, 2, 3, 4, 5, ...]",
        ),
    ],
)
def test_bad_values_are_named_where_they_are(tmp_path, data, message):
    path = tmp_path / "res.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InvalidInput) as err:
        read_estimates(path)
    assert str(err.value).endswith(message)


def test_a_task_name_with_a_line_break_is_quoted_in_the_one_line_error(tmp_path):
    path = tmp_path / "res.json"
    path.write_text(json.dumps({"a\nb": {"cpu": "x"}}))
    with pytest.raises(InvalidInput) as err:
        read_estimates(path)
    assert "\n" not in str(err.value)
    assert "'a\\nb'.cpu: expected a number" in str(err.value)
