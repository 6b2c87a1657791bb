"""The optimised plan and its lower bound: feasible, between the bound and greedy's cost, and
equal to the optimum found by brute force on small fixtures."""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
from collections import defaultdict

import pytest

from c2net.model import Center, Plan
from c2net.scheduler import Account, QueuedJob, Snapshot, schedule
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
    assert plan.stats["lp_exact"] == 1.0


def test_greedy_already_optimal_skips_the_lp() -> None:
    plan = schedule(Snapshot.idle([CHEAP, DEAR, H100]), [queued(2, RIGID)], optimize=True)
    # One job on its cheapest candidate: the bound is its own cost, 10.
    assert plan.stats["lp_lower_bound"] == pytest.approx(10.0)
    assert plan.stats["lp_rounds"] == 0.0


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


# Node fragmentation: the LP packs pool totals, nodes hold whole jobs. One cheap node (4 A100,
# 8 cpus) at 10/h and two dear ones at 20/h; six 1-hour, 1-GPU jobs of 4, 4, 3, 3, 2, 2 cpus.
# Each job on the cheap node saves 10. Whole jobs: at most 3 fit its 8 cpus (2 + 2 + 3 or
# 2 + 2 + 4; four need at least 2 + 2 + 3 + 3 = 10), so the optimum is 3 x 10 + 3 x 20 = 90.
# The LP fills the 8 cpus with the smallest: 2 + 2 + 3 + a third of a 3-cpu job = 3 1/3 jobs,
# 33 1/3 + 2 2/3 x 20 = 86 2/3: a true lower bound, 3.8% under the optimum.
FRAGMENTED = [
    gpu_center("cheap", "A100", 10.0, per_node=4, cpus=8),
    gpu_center("dear", "A100", 20.0, nodes=2, per_node=4, cpus=8),
]
SIZES = [4, 4, 3, 3, 2, 2]


def _fragmented_queue() -> list[QueuedJob]:
    return [
        queued(i, job_spec(resources={"cpus": c, "accelerators": "A100:1"}))
        for i, c in enumerate(SIZES)
    ]


def test_the_bound_stays_under_the_optimum_when_nodes_fragment() -> None:
    plan = schedule(Snapshot.idle(FRAGMENTED), _fragmented_queue(), optimize=True, lp_rounds=None)
    assert plan.stats["cost"] == pytest.approx(90.0)
    assert plan.stats["lp_lower_bound"] == pytest.approx(86.0 + 2.0 / 3.0)
    assert plan.stats["lp_exact"] == 1.0
    assert plan.stats["lp_gap"] == pytest.approx(90.0 / (86.0 + 2.0 / 3.0) - 1.0)
    _assert_fits(FRAGMENTED, plan)


def test_optimising_is_deterministic() -> None:
    one = schedule(Snapshot.idle(FRAGMENTED), _fragmented_queue(), optimize=True)
    two = schedule(Snapshot.idle(FRAGMENTED), _fragmented_queue(), optimize=True)
    assert one.placements == two.placements
    assert one.stats == two.stats


def test_a_job_under_an_account_quota_keeps_its_place() -> None:
    lab = Account(max_accelerators=8)
    snap = dataclasses.replace(Snapshot.idle([CHEAP, DEAR, H100]), accounts={"lab": lab})
    queue = [queued(1, FLEXIBLE, account="lab"), queued(2, RIGID, account="lab")]
    plan = schedule(snap, queue, optimize=True)
    # as in greedy (job 1 first, on the cheap A100): moving it to an option with other devices
    # could break the quota, so neither moves and job 2 stays on the dear A100: 10 + 30
    assert {p.job_id: p.center for p in plan.placements} == {1: "cheap-a100", 2: "dear-a100"}
    assert plan.stats["cost"] == pytest.approx(40.0)


# Random small fixtures against brute force: three priced centers (A100 at 10 on one node,
# H100 at 12 on one node, A100 at 30 on two), 2 GPUs and 8 cpus a node; six jobs, each rigid
# (A100:1) or flexible (A100:1 or H100:1, equally fast), 1-5 cpus, 1-3 hours. A job's cost is
# its device's price x its hours (cpus and memory are free on these centers).
RANDOM_CENTERS = [
    gpu_center("a100", "A100", 10.0, per_node=2),
    gpu_center("h100", "H100", 12.0, per_node=2),
    gpu_center("a100-dear", "A100", 30.0, nodes=2, per_node=2),
]
PRICE = {"a100": ("A100", 10.0), "h100": ("H100", 12.0), "a100-dear": ("A100", 30.0)}


def _random_queue(seed: int) -> list[QueuedJob]:
    rng = random.Random(seed)
    out = []
    for i in range(6):
        cpus, hours = rng.randint(1, 5), rng.randint(1, 3)
        if rng.random() < 0.5:
            acc: object = {"any_of": ["A100:1", "H100:1"]}
        else:
            acc = "A100:1"
        spec = job_spec(
            resources={"cpus": cpus, "accelerators": acc},
            runtime=hours,
            speed={"A100": 1, "H100": 1},
        )
        out.append(queued(i, spec))
    return out


def _brute_force(queue: list[QueuedJob]) -> float:
    """The cheapest placement of every job on one node each, trying all of them."""
    slots = [(c.name, n) for c in RANDOM_CENTERS for n in range(c.pools[0].count)]
    best = math.inf
    for assignment in itertools.product(range(len(slots)), repeat=len(queue)):
        cpus: dict[int, float] = defaultdict(float)
        gpus: dict[int, int] = defaultdict(int)
        cost = 0.0
        for job, slot in zip(queue, assignment, strict=True):
            kind, price = PRICE[slots[slot][0]]
            if kind not in {t for t, _ in job.spec.options()}:
                break
            cpus[slot] += job.spec.resources.cpus
            gpus[slot] += 1
            cost += price * job.spec.runtime_hours
        else:
            if all(cpus[s] <= 8 and gpus[s] <= 2 for s in cpus):
                best = min(best, cost)
    return best


@pytest.mark.parametrize("seed", range(12))
def test_random_fixtures_sit_between_the_bound_and_greedy_at_the_optimum(seed: int) -> None:
    queue = _random_queue(seed)
    snap = Snapshot.idle(RANDOM_CENTERS)
    greedy = schedule(snap, queue, optimize=False)
    plan = schedule(snap, queue, optimize=True)
    assert {p.job_id for p in plan.placements} == {p.job_id for p in greedy.placements}
    _assert_fits(RANDOM_CENTERS, plan)
    placed = [j for j in queue if j.id in {p.job_id for p in plan.placements}]
    optimum = _brute_force(placed)
    assert plan.stats["lp_lower_bound"] <= optimum + 1e-9
    assert plan.stats["cost"] == pytest.approx(optimum)
    assert plan.stats["cost"] <= greedy.stats["cost"] + 1e-9


@pytest.mark.parametrize("seed", range(12))
def test_every_round_gives_a_valid_bound_and_the_last_the_lp_optimum(seed: int) -> None:
    queue = _random_queue(seed)
    snap = Snapshot.idle(RANDOM_CENTERS)
    one = schedule(snap, queue, optimize=True, lp_rounds=1)
    exact = schedule(snap, queue, optimize=True, lp_rounds=None)
    placed = [j for j in queue if j.id in {p.job_id for p in exact.placements}]
    optimum = _brute_force(placed)
    # the LP optimum is the largest Lagrangian bound: one round's prices give at most that
    assert one.stats["lp_lower_bound"] <= exact.stats["lp_lower_bound"] + 1e-9
    assert exact.stats["lp_lower_bound"] <= optimum + 1e-9
    assert exact.stats["lp_exact"] == 1.0
    assert exact.stats["lp_value"] == pytest.approx(exact.stats["lp_lower_bound"], rel=1e-6)


def _assert_fits(centers: list[Center], plan: Plan) -> None:
    """No node holds more than its shape (the snapshots here start idle)."""
    shape = {(c.name, i): s for c in centers for i, s in enumerate(c.node_shapes())}
    used: dict[tuple[str, int], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for p in plan.placements:
        for n in p.all_nodes:
            total = used[(p.center, n)]
            total[0] += p.resources.cpus
            total[1] += p.resources.memory_gb
            total[2] += sum(p.resources.accelerators.values())
    for key, (cpus, memory, devices) in used.items():
        s = shape[key]
        assert cpus <= s.cpus + 1e-9 and memory <= s.memory_gb + 1e-9
        assert devices <= sum(s.accelerators.values())
