"""Objectives (cost, time, carbon) and deadlines."""

from __future__ import annotations

import pytest

from c2net.model import ReasonCode
from c2net.scheduler import Network, Snapshot, schedule
from tests.scheduler.builders import gpu_center, job_spec, queued

SLOW = gpu_center("slow", "A100", 10.0, hub="hub-a")  # 312 TFLOPS
FAST = gpu_center("fast", "H100", 40.0, hub="hub-b")  # 989.5 TFLOPS
EITHER = {"resources": {"accelerators": {"any_of": ["A100:1", "H100:1"]}}, "runtime": 10}


@pytest.mark.parametrize(
    ("objective", "where"),
    [
        # cost: A100 10 h x 10 = 100 < H100 3.153 h x 40 = 126.1
        ("cost", "slow"),
        # time: H100 finishes in 10 x 312 / 989.5 = 3.153 h, the A100 in 10 h
        ("time", "fast"),
    ],
)
def test_cost_or_time(objective: str, where: str) -> None:
    plan = schedule(
        Snapshot.idle([SLOW, FAST]), [queued(1, job_spec(objective=objective, **EITHER))]
    )
    assert plan.placements[0].center == where


def test_carbon_prefers_the_cleaner_grid() -> None:
    dirty = gpu_center("dirty", "A100", 9.0, hub="hub-a")
    clean = gpu_center("clean", "A100", 10.0, hub="hub-b")
    net = Network(
        carbon_g_per_kwh={"hub-a": 600.0, "hub-b": 100.0}, pue={"hub-a": 1.5, "hub-b": 1.2}
    )
    snap = Snapshot.idle([dirty, clean])
    snap = Snapshot(snap.centers, snap.node_free, network=net)
    spec = job_spec(resources={"cpus": 1, "memory": 1, "accelerators": "A100:1"}, runtime=2)
    assert schedule(snap, [queued(1, spec)]).placements[0].center == "dirty"  # 18 < 20
    green = job_spec(
        resources={"cpus": 1, "memory": 1, "accelerators": "A100:1"}, runtime=2, objective="carbon"
    )
    p = schedule(snap, [queued(1, green)]).placements[0]
    assert p.center == "clean"
    # (400 W A100 + 1 cpu x 12 W + 1 GB x 0.3725 W) x 2 h = 0.8247 kWh, x PUE 1.2 x 100 g/kWh
    assert p.score == pytest.approx((400 + 12 + 0.3725) * 2 / 1000 * 1.2 * 100)


@pytest.mark.parametrize(
    ("deadline", "where"),
    [
        (None, "slow"),  # cheapest
        (5.0, "fast"),  # the A100 needs 10 h; the H100 3.15 h
    ],
)
def test_deadline_rules_out_what_finishes_late(deadline: float | None, where: str) -> None:
    fields = dict(EITHER) | ({"deadline": deadline} if deadline else {})
    plan = schedule(Snapshot.idle([SLOW, FAST]), [queued(1, job_spec(**fields))])
    assert plan.placements[0].center == where


def test_deadline_no_one_can_meet() -> None:
    # Submitted an hour ago with a 2 h deadline: 1 h left; the fastest needs 3.15 h.
    snap = Snapshot.idle([SLOW, FAST], taken_at=3600.0)
    plan = schedule(snap, [queued(1, job_spec(deadline=2, **EITHER), at=0.0)])
    pending = plan.pending[0]
    assert pending.code is ReasonCode.DEADLINE
    assert pending.message == (
        "no center can finish it by its deadline: the earliest estimate ends in 3.15 h at fast, "
        "the deadline is in 1.00 h"
    )
