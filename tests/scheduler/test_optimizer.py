"""The LP lower bound on a cycle's cost, and the LP-improved plan."""

from __future__ import annotations

import math

import pytest

from c2net.scheduler import Snapshot, schedule
from tests.scheduler.builders import gpu_center, job_spec, queued

CHEAP = gpu_center("cheap-a100", "A100", 10.0)
DEAR = gpu_center("dear-a100", "A100", 30.0)
H100 = gpu_center("h100", "H100", 12.0)
# A flexible job first (same speed on both types, by its own table), then a rigid A100 job.
FLEXIBLE = job_spec(
    resources={"accelerators": {"any_of": ["A100:1", "H100:1"]}}, speed={"A100": 1, "H100": 1}
)
RIGID = job_spec(resources={"accelerators": "A100:1"})
QUEUE = [queued(1, FLEXIBLE), queued(2, RIGID)]


def test_greedy_leaves_cost_on_the_table() -> None:
    plan = schedule(Snapshot.idle([CHEAP, DEAR, H100]), QUEUE, optimize=False)
    # job 1 takes the cheap A100 (10 < 12), job 2 is left the dear one: 10 + 30 = 40
    assert {p.job_id: p.center for p in plan.placements} == {1: "cheap-a100", 2: "dear-a100"}
    assert plan.stats["cost"] == pytest.approx(40.0)
    assert "lp_lower_bound" not in plan.stats


def test_optimised_plan_reaches_the_lp_bound() -> None:
    plan = schedule(Snapshot.idle([CHEAP, DEAR, H100]), QUEUE, optimize=True)
    # job 1 on the H100 (12), job 2 on the cheap A100 (10): 22, which is the LP optimum
    assert {p.job_id: p.center for p in plan.placements} == {1: "h100", 2: "cheap-a100"}
    assert plan.stats["cost_greedy"] == pytest.approx(40.0)
    assert plan.stats["cost"] == pytest.approx(22.0)
    assert plan.stats["lp_lower_bound"] == pytest.approx(22.0)
    assert plan.stats["lp_gap"] == pytest.approx(0.0, abs=1e-9)


def test_greedy_already_optimal_skips_the_lp() -> None:
    plan = schedule(Snapshot.idle([CHEAP, DEAR, H100]), [queued(2, RIGID)], optimize=True)
    # One job on its cheapest candidate: the bound is its own cost, 10.
    assert plan.stats["lp_lower_bound"] == pytest.approx(10.0)


def test_auto_skips_a_too_large_lp() -> None:
    plan = schedule(Snapshot.idle([CHEAP, DEAR, H100]), QUEUE, lp_max_variables=1)
    assert math.isnan(plan.stats["lp_lower_bound"])
    assert plan.stats["cost"] == pytest.approx(40.0)  # greedy's plan stands


def test_same_jobs_are_placed_as_greedy_placed() -> None:
    jobs = [queued(i, FLEXIBLE if i % 2 else RIGID) for i in range(6)]
    greedy = schedule(Snapshot.idle([CHEAP, DEAR, H100]), jobs, optimize=False)
    optimised = schedule(Snapshot.idle([CHEAP, DEAR, H100]), jobs, optimize=True)
    assert {p.job_id for p in optimised.placements} == {p.job_id for p in greedy.placements}
    assert optimised.stats["cost"] <= greedy.stats["cost"] + 1e-9
    assert optimised.stats["lp_lower_bound"] <= optimised.stats["cost"] + 1e-9
