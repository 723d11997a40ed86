"""Update policies (qcflow.checks.policies)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcflow.checks.policies import POLICIES, RevisionClock, UpdatePolicy, check_policy_name
from qcflow.errors import InvalidInput


def test_docstring_example() -> None:
    clock = RevisionClock()
    policy = UpdatePolicy("OnAll", ("RecPP/h1", "RecPP/h2"))
    clock.publish(["RecPP/h1"])
    assert not policy.is_ready(clock)
    clock.publish(["RecPP/h2"])
    assert policy.is_ready(clock)
    policy.mark_run(clock)
    assert not policy.is_ready(clock)
    clock.publish(["RecPP/h1"])
    assert not policy.is_ready(clock)
    clock.publish(["RecPP/h2"])
    assert policy.is_ready(clock)


def test_on_any_and_on_any_non_zero() -> None:
    clock = RevisionClock()
    any_ = UpdatePolicy("OnAny", ("a", "b"))
    nonzero = UpdatePolicy("OnAnyNonZero", ("a", "b/"))
    clock.publish(["a"])
    assert any_.is_ready(clock) and not nonzero.is_ready(clock)
    clock.publish(["b"])
    assert nonzero.is_ready(clock)
    nonzero.mark_run(clock)
    assert not nonzero.is_ready(clock)
    clock.publish(["a"])
    assert nonzero.is_ready(clock)  # the "all seen once" condition is remembered


def test_global_any_and_all_objects_mode() -> None:
    clock = RevisionClock()
    assert UpdatePolicy("OnGlobalAny").is_ready(clock)
    all_objects = UpdatePolicy("OnAll", None)
    assert not all_objects.is_ready(clock, ["T/x"])
    clock.publish(["T/x"])
    assert all_objects.is_ready(clock, ["T/x"])


def test_policy_names_are_case_sensitive() -> None:
    with pytest.raises(
        InvalidInput, match=r"qc.checks.C.policy: unknown policy 'onall' \(did you mean 'OnAll'\?\)"
    ):
        check_policy_name("onall", "qc.checks.C.policy")
    with pytest.raises(InvalidInput):
        UpdatePolicy("Sometimes")


@given(
    st.sampled_from(POLICIES[:4]),
    st.lists(st.sets(st.sampled_from("abc"), min_size=1), max_size=12),
)
def test_never_ready_twice_without_news(kind: str, rounds: list[set[str]]) -> None:
    clock = RevisionClock()
    policy = UpdatePolicy(kind, ("a", "b", "c"))
    for published in rounds:
        clock.publish(sorted(published))
        if policy.is_ready(clock):
            policy.mark_run(clock)
            assert not policy.is_ready(clock)
        if kind == "OnAll":
            assert not policy.is_ready(clock) or {"a", "b", "c"} <= set(clock.stamps)
