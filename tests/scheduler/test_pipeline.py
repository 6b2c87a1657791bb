from __future__ import annotations

import random

import numpy as np
import pytest

from c2net.clock import ManualClock
from c2net.model import Center, JobSpec, ReasonCode, Resources
from c2net.scheduler import POLICIES, QueuedJob, ScoreContext, Snapshot, register, schedule
from tests.builders import center, node, spec

# Three centers: cheap-west has only CPUs; mid has A100s; dear-east has A100s and T4s.
WEST = center("cheap-west", (2, node(8, 32)), cpu=0.05, mem=0.005, role="west")
MID = center("mid", (1, node(16, 64, "A100:2")), cpu=0.1, mem=0.01, acc_prices={"A100": 20.0})
EAST = center(
    "dear-east",
    (1, node(16, 64, "A100:4")),
    (1, node(8, 32, "T4:2")),
    cpu=0.2,
    mem=0.02,
    acc_prices={"A100": 30.0, "T4": 5.0},
)
POOL = (WEST, MID, EAST)


def place(
    specs: list[JobSpec],
    centers: tuple[Center, ...] = POOL,
    policy: str = "cheapest",
    snap: Snapshot | None = None,
) -> dict[int, str | None]:
    snap = snap or Snapshot.idle(centers)
    plan = schedule(snap, [QueuedJob(i, s) for i, s in enumerate(specs)], policy)
    where: dict[int, str | None] = {p.job_id: p.center for p in plan.placements}
    where.update({p.job_id: None for p in plan.pending})
    return where


@pytest.mark.parametrize(
    ("job", "expected"),
    [
        # 1 cpu 1 GB: west 0.05+0.005 < mid 0.11 < east 0.22
        (spec(1, 1), "cheap-west"),
        # an A100: mid 1x0.1 + 1x0.01 + 20 < east 0.2 + 0.02 + 30
        (spec(1, 1, "A100:1"), "mid"),
        # three A100 on one node: only east has nodes with 4
        (spec(1, 1, "A100:3"), "dear-east"),
        # a T4: only east sells it
        (spec(1, 1, "T4:1"), "dear-east"),
        # kept east: the cheapest center whose role/hub/region is east
        (spec(1, 1, regions=("east",)), "mid"),
        (spec(1, 1, regions=("west",)), "cheap-west"),
        (spec(1, 1, regions=("hub-dear-east",)), "dear-east"),
        # 9 cpus: west nodes have 8; mid 9 x 0.1 + 0.01 = 0.91 < east 9 x 0.2 + 0.02 = 1.82
        (spec(9, 1), "mid"),
        # max_price 20.0/h excludes mid (20.11) and east: nothing left
        (spec(1, 1, "A100:1", max_price=20.0), None),
        (spec(1, 1, "A100:1", max_price=20.2), "mid"),
        # nobody offers H100
        (spec(1, 1, "H100:1"), None),
        # no node anywhere has 17 cpus
        (spec(17, 1), None),
    ],
)
def test_single_job_goes_to_cheapest_fitting_center(job: JobSpec, expected: str | None) -> None:
    assert place([job])[0] == expected


def test_never_overbooks_a_node_within_one_cycle() -> None:
    # cheap-west has 2 nodes x 8 cpus; five 4-cpu jobs: 4 fit there, the 5th goes to mid
    where = place([spec(4, 1) for _ in range(5)])
    assert list(where.values()).count("cheap-west") == 4
    assert where[4] == "mid"


def test_respects_existing_allocations() -> None:
    snap = Snapshot.with_allocations(POOL, [("mid", 0, node(1, 1, "A100:2"))])
    # mid's only node has both A100 taken: the job must go to dear-east
    assert place([spec(1, 1, "A100:1")], snap=snap)[0] == "dear-east"


def test_best_fit_packs_nodes_leaving_whole_nodes_free() -> None:
    c = center("c", (3, node(8, 32)))
    plan = schedule(Snapshot.idle([c]), [QueuedJob(i, spec(2, 2)) for i in range(3)])
    # all three 2-cpu jobs share one node; the other two nodes stay whole
    assert {p.node for p in plan.placements} == {0}


def test_unhealthy_center_is_skipped() -> None:
    sick = center("aaa-sick", (1, node()), cpu=0.001, healthy=False)
    assert place([spec()], (sick, MID))[0] == "mid"


def test_tie_break_is_by_name_and_deterministic() -> None:
    a, b = center("b-center"), center("a-center")  # same prices and shapes
    for _ in range(3):
        assert place([spec()], (a, b))[0] == "a-center"


def test_first_fit_uses_network_order() -> None:
    assert place([spec()], (EAST, WEST), policy="first-fit")[0] == "dear-east"


def test_placement_carries_prices() -> None:
    plan = schedule(
        Snapshot.idle(POOL),
        [QueuedJob(7, spec(2, 4, "A100:1", runtime=3))],
        clock=ManualClock(100.0),
    )
    p = plan.placements[0]
    # mid: 2 x 0.1 + 4 x 0.01 + 20 = 20.24 per hour, x 3 hours
    assert p.price_per_hour == pytest.approx(20.24)
    assert p.estimated_cost == pytest.approx(60.72)
    assert plan.created_at == 100.0
    assert plan.policy == "cheapest"


def test_pending_reasons_are_records_and_sentences() -> None:
    plan = schedule(Snapshot.idle(POOL), [QueuedJob(1, spec(1, 1, "H100:1"))])
    pending = plan.pending[0]
    assert pending.message == "no center offers H100"
    assert {e.code for e in pending.exclusions} == {ReasonCode.NO_ACCELERATOR}
    assert len(pending.exclusions) == 3


def test_busy_reason_names_the_centers() -> None:
    snap = Snapshot.with_allocations(
        POOL, [("mid", 0, node(1, 1, "A100:2")), ("dear-east", 0, node(1, 1, "A100:4"))]
    )
    plan = schedule(snap, [QueuedJob(1, spec(1, 1, "A100:1"))])
    msg = plan.pending[0].message
    assert "2 centers (mid, dear-east) have A100 but all are busy" in msg
    assert "1 center (cheap-west) offer no A100" in msg


def test_over_max_price_reason_quotes_the_cheapest_offer() -> None:
    plan = schedule(Snapshot.idle(POOL), [QueuedJob(1, spec(1, 1, "A100:1", max_price=2.0))])
    # cheapest fitting offer: mid at 0.1 + 0.01 + 20 = 20.11/h
    assert "the cheapest fitting offer is 20.11/h at mid, above max_price 2.00/h" in (
        plan.pending[0].message
    )


def test_region_reason() -> None:
    plan = schedule(Snapshot.idle(POOL), [QueuedJob(1, spec(1, 1, "T4:1", regions=("west",)))])
    assert plan.pending[0].exclusions[0].code in (ReasonCode.NO_ACCELERATOR, ReasonCode.REGION)
    codes = {e.center: e.code for e in plan.pending[0].exclusions}
    assert codes == {
        "cheap-west": ReasonCode.NO_ACCELERATOR,
        "mid": ReasonCode.REGION,
        "dear-east": ReasonCode.REGION,
    }


def test_no_centers() -> None:
    plan = schedule(Snapshot.idle([]), [QueuedJob(1, spec())])
    assert plan.pending[0].message == "no centers are registered"


def test_policy_plugin_protocol() -> None:
    class MostExpensive:
        name = "test-most-expensive"

        def score(self, ctx: ScoreContext) -> np.ndarray:
            return -ctx.price_per_hour

    register(MostExpensive())
    try:
        assert place([spec()], policy="test-most-expensive")[0] == "dear-east"
    finally:
        POLICIES.pop("test-most-expensive")
    with pytest.raises(TypeError):
        register(object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown policy"):
        place([spec()], policy="nope")


def test_pure_same_input_same_plan() -> None:
    specs = [spec(random.Random(i).choice([1, 2, 4]), 1) for i in range(20)]
    assert place(specs) == place(specs)


def test_request_with_type_unknown_to_snapshot() -> None:
    snap = Snapshot.idle(POOL)
    plan = schedule(snap, [QueuedJob(1, spec(1, 1, "MLU370:1")), QueuedJob(2, spec())])
    assert [p.job_id for p in plan.placements] == [2]
    assert plan.pending[0].message == "no center offers MLU370"


def test_resources_of_placement_match_request() -> None:
    plan = schedule(Snapshot.idle(POOL), [QueuedJob(1, spec(2, 3, "T4:1"))])
    assert plan.placements[0].resources == Resources(2, 3, {"T4": 1})
