"""Bookings against limits, and against the hosts of a cluster (each task must fit one)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from qcflow.runner.resources import Demand, ResourceLimits

amounts = st.floats(min_value=0.0, max_value=1e4, allow_nan=False)
positive = st.floats(min_value=0.01, max_value=1e4, allow_nan=False)
hosts = st.lists(st.tuples(positive, positive), max_size=5).map(tuple)


def test_one_machine_has_no_hosts_to_fit():
    limits = ResourceLimits(cpu=4, mem=1000)
    assert limits.fits_alone(Demand(4, 1000))
    assert not limits.fits_alone(Demand(4.5, 1000))


def test_a_task_must_fit_one_host_not_the_sum():
    limits = ResourceLimits(cpu=4, mem=2000, hosts=((2, 1000), (2, 1000)))
    assert limits.fits_alone(Demand(2, 1000))
    assert not limits.fits_alone(Demand(3, 500))
    assert not limits.fits_alone(Demand(1, 1500))


@given(cpu=amounts, mem=amounts, limit_cpu=positive, limit_mem=positive, shapes=hosts)
def test_clamp_fits_and_never_grows(cpu, mem, limit_cpu, limit_mem, shapes):
    limits = ResourceLimits(cpu=limit_cpu, mem=limit_mem, hosts=shapes)
    demand = Demand(cpu, mem, "sem")
    clamped = limits.clamp(demand)
    assert clamped.cpu <= cpu and clamped.mem <= mem
    assert clamped.semaphore == "sem"
    assert limits.fits_alone(clamped)
    if limits.fits_alone(demand):
        assert clamped == demand
