"""One table of the five ZDC summaries: the task fills and the check judges the same families."""

from __future__ import annotations

import json

import qcflow.modules.zdc.check as check_module
import qcflow.modules.zdc.postprocessing as task_module
from qcflow.modules.zdc.families import BY_NAME, BY_PREFIX, FAMILIES
from tests.modules.conftest import CONFIGS


def test_the_check_and_the_task_read_one_table() -> None:
    assert check_module.FAMILIES is task_module.FAMILIES is FAMILIES
    assert check_module.BY_NAME is BY_NAME
    # no second description left behind (the check's former positional 4-tuples)
    assert not hasattr(check_module, "CHANNELS")
    assert not hasattr(task_module, "PEAK_1N_RANGE")


def test_names_prefixes_and_keys_are_unique() -> None:
    for attribute in ("prefix", "key", "name"):
        assert len({getattr(f, attribute) for f in FAMILIES}) == len(FAMILIES), attribute
    assert list(BY_PREFIX) == [f.prefix for f in FAMILIES]
    assert [f.statistic for f in FAMILIES] == ["mean", "mean", "mean", "peak", "peak"]


def test_the_shipped_config_lists_each_familys_channels_in_bin_order() -> None:
    """The task's sources (one bin each, in order) are the channels the check's parameters name."""
    qc = json.loads((CONFIGS / "zdc.json").read_text())["qc"]
    task = qc["postprocessing"]["RecPP"]
    parameters = qc["checks"]["RecCheck"]["checkParameters"]
    for family in FAMILIES:
        labels = [n.split(":")[0] for source in task[family.key] for n in source["names"]]
        assert tuple(labels) == family.channels, family.prefix
        for channel in family.channels:
            assert f"{family.prefix}_{channel}" in parameters
