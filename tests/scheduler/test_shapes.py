"""Node shapes, not totals: a job needs one node with room (N nodes of one pool for a gang)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from c2net.model import ReasonCode
from c2net.scheduler import Running, Snapshot, schedule
from tests.builders import center, node
from tests.scheduler.builders import cpu_center, job_spec, queued


def test_fragmented_totals_do_not_count() -> None:
    frag = cpu_center("frag", 0.1, nodes=2, cpus=8)  # cheap, but each node has 3 cpus free
    whole = cpu_center("whole", 1.0, nodes=1, cpus=8)
    snap = Snapshot.with_allocations(
        (frag, whole), [("frag", 0, node(5, 1)), ("frag", 1, node(5, 1))]
    )
    # 4 cpus: frag has 3 + 3 = 6 free in total but no node with 4.
    plan = schedule(snap, [queued(1, job_spec(resources={"cpus": 4}))])
    assert plan.placements[0].center == "whole"


@pytest.mark.parametrize(
    ("num_nodes", "placed_on", "code"),
    [
        (2, (0, 1), None),  # two of the pool's three nodes
        (3, (0, 1, 2), None),
        (4, None, ReasonCode.TOO_FEW_NODES),  # the pool has 3 nodes: never
    ],
)
def test_gang_all_in_one_pool(
    num_nodes: int, placed_on: tuple[int, ...] | None, code: ReasonCode | None
) -> None:
    c = cpu_center("hpc", 0.5, nodes=3, cpus=8)
    plan = schedule(
        Snapshot.idle([c]), [queued(1, job_spec(num_nodes=num_nodes, resources={"cpus": 8}))]
    )
    if placed_on is None:
        assert plan.pending[0].code is code
        assert "have no node pool of 4 nodes" in plan.pending[0].message
        return
    p = plan.placements[0]
    assert p.all_nodes == placed_on
    assert p.price_per_hour == pytest.approx(num_nodes * 8 * 0.5)  # N nodes x 8 cpus x 0.5


def test_gang_is_all_or_nothing() -> None:
    c = cpu_center("hpc", 0.5, nodes=3, cpus=8)
    snap = Snapshot.with_allocations([c], [("hpc", 1, node(1, 1))])  # node 1 no longer whole
    jobs = [queued(1, job_spec(num_nodes=3, resources={"cpus": 8})), queued(2, job_spec())]
    plan = schedule(snap, jobs)
    # The gang waits (BUSY), nothing of it is reserved: the small job still gets a node.
    assert [p.job_id for p in plan.placements] == [2]
    assert plan.pending[0].code is ReasonCode.BUSY


def test_gang_never_mixes_pools() -> None:
    # Two pools of one node each: 2 nodes in the center, but no pool has 2.
    c = center("two-pools", (1, node(8, 32)), (1, node(8, 32)), cpu=0.1, mem=0.0)
    plan = schedule(Snapshot.idle([c]), [queued(1, job_spec(num_nodes=2, resources={"cpus": 8}))])
    assert plan.pending[0].code is ReasonCode.TOO_FEW_NODES


def test_elastic_pool_grows_per_job_and_is_priced_per_node() -> None:
    vm = center("cloud", (1, node(4, 16, "T4:1")), (1, node(2, 4)), cpu=0.0, mem=0.0)
    vm = replace(
        vm,
        elastic=True,
        pools=(replace(vm.pools[0], price=0.5, spot_price=0.2), replace(vm.pools[1], price=0.1)),
    )
    snap = Snapshot.idle([vm])
    jobs = [queued(i, job_spec(resources={"cpus": 1, "accelerators": "T4:1"})) for i in range(3)]
    plan = schedule(snap, jobs)
    # One fresh VM per job (numbered after the listed nodes 0 and 1), the whole VM's price each.
    assert [p.node for p in plan.placements] == [2, 3, 4]
    assert {(p.pool, p.price_per_hour) for p in plan.placements} == {("p0", 0.5)}
    spot = schedule(snap, [queued(9, job_spec(spot=True, resources={"accelerators": "T4:1"}))])
    assert spot.placements[0].price_per_hour == 0.2
    # VMs already running keep their numbers: the next one gets a number none of them holds
    held = [Running(j, "cloud", p.node, p.resources) for j, p in enumerate(plan.placements)]
    later = schedule(Snapshot.of_running([vm], held), [queued(7, job_spec())])
    assert (later.placements[0].node, later.placements[0].pool) == (5, "p1")


def test_pool_with_count_keeps_node_numbers() -> None:
    c = center("c", (2, node(4, 8)), (1, node(16, 64)), cpu=0.1, mem=0.0)
    assert [p.name for p in c.pools] == ["p0", "p1"]
    # 10 cpus only fit the third node (index 2, first of pool p1).
    plan = schedule(Snapshot.idle([c]), [queued(1, job_spec(resources={"cpus": 10}))])
    assert (plan.placements[0].node, plan.placements[0].pool) == (2, "p1")
