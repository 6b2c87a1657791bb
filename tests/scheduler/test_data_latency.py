"""Data association (transfer time, egress, residency) and latency tiers (east to west)."""

from __future__ import annotations

import pytest

from c2net.model import ReasonCode
from c2net.scheduler import Dataset, Network, PriceBook, Snapshot, schedule
from tests.scheduler.builders import cpu_center, job_spec, queued

EAST = cpu_center("east", 2.0, cpus=4, hub="hub-east", role="east")
WEST = cpu_center("west", 1.0, cpus=4, hub="hub-west", role="west")
DATA = {"imagenet": Dataset("east", 1000.0)}


def network(egress: float = 0.5, rtt: float = 30.0) -> Network:
    return Network(
        rtt_ms={("hub-east", "hub-west"): rtt},
        bandwidth_gbps=10.0,
        egress_per_gb=egress,
        roles={"hub-east": "east", "hub-west": "west"},
    )


@pytest.mark.parametrize(
    ("egress", "policy", "where", "cost"),
    [
        # 10 h x 1 cpu. east: 10 x 2 = 20. west: 10 x 1 + 1000 GB x 0.5 = 510: the data wins.
        (0.5, "move", "east", 20.0),
        # Cheap egress: west 10 + 1000 x 0.001 = 11 < 20.
        (0.001, "move", "west", 10.0 + 1.0),
        # stay: never away from the data, however cheap.
        (0.001, "stay", "east", 20.0),
    ],
)
def test_moving_data_is_priced(egress: float, policy: str, where: str, cost: float) -> None:
    snap = Snapshot.idle([EAST, WEST])
    snap = Snapshot(snap.centers, snap.node_free, datasets=DATA, network=network(egress))
    spec = job_spec(resources={"cpus": 1}, runtime=10, inputs=["imagenet"], data_policy=policy)
    p = schedule(snap, [queued(1, spec)]).placements[0]
    assert (p.center, p.estimated_cost) == (where, pytest.approx(cost))
    if where == "west":
        # 1000 GB x 8 / 10 Gbit/s / 3600 = 0.222 h of transfer before 10 h of work
        assert p.estimated_hours == pytest.approx(10 + 1000 * 8 / 10 / 3600)


def test_the_sending_centers_own_egress_price_wins_over_the_networks() -> None:
    """The network says 0.5/GB (data stays east); east's tariff sells egress at 0.001/GB:
    west 10 + 1000 x 0.001 = 11 < east's 20, as the market would bill it."""
    snap = Snapshot.idle([EAST, WEST])
    snap = Snapshot(
        snap.centers,
        snap.node_free,
        datasets=DATA,
        network=network(0.5),
        prices=PriceBook(egress={"east": 0.001}),
    )
    spec = job_spec(resources={"cpus": 1}, runtime=10, inputs=["imagenet"])
    (p,) = schedule(snap, [queued(1, spec)]).placements
    assert (p.center, p.estimated_cost) == ("west", pytest.approx(11.0))


def test_stay_explains_the_centers_without_the_data() -> None:
    busy = Snapshot.with_allocations([EAST, WEST], [("east", 0, EAST.node_shapes()[0])])
    snap = Snapshot(busy.centers, busy.node_free, datasets=DATA, network=network())
    plan = schedule(snap, [queued(1, job_spec(inputs=["imagenet"], data_policy="stay"))])
    pending = plan.pending[0]
    assert {(e.center, e.code) for e in pending.exclusions} == {
        ("east", ReasonCode.BUSY),
        ("west", ReasonCode.DATA),
    }
    assert "1 center (west) do not hold its inputs (data_policy: stay)" in pending.message


def test_unknown_dataset_blocks_the_job() -> None:
    plan = schedule(Snapshot.idle([EAST]), [queued(1, job_spec(inputs=["nope"]))])
    assert plan.pending[0].message == "input dataset nope is not registered"
    assert plan.pending[0].code is ReasonCode.DATA


@pytest.mark.parametrize(
    ("latency", "max_rtt", "home", "where"),
    [
        ("batch", None, "hub-east", "west"),  # batch flows west, where it is cheaper
        ("interactive", 20, "hub-east", "east"),  # 30 ms to the west hub is too far
        ("interactive", 40, "hub-east", "west"),  # 30 ms is within 40
        ("interactive", None, "hub-east", "east"),  # default limit 20 ms
        ("interactive", 20, "", "west"),  # unknown home: no limit can be checked
    ],
)
def test_latency_tiers(latency: str, max_rtt: float | None, home: str, where: str) -> None:
    snap = Snapshot.idle([EAST, WEST])
    snap = Snapshot(snap.centers, snap.node_free, network=network())
    fields: dict[str, object] = {"latency": latency}
    if max_rtt is not None:
        fields["max_rtt_ms"] = max_rtt
    plan = schedule(snap, [queued(1, job_spec(**fields), home=home)])
    assert plan.placements[0].center == where


def test_interactive_too_far_everywhere_says_so() -> None:
    snap = Snapshot.idle([WEST])
    snap = Snapshot(snap.centers, snap.node_free, network=network())
    spec = job_spec(latency="interactive", max_rtt_ms=10)
    pending = schedule(snap, [queued(1, spec, home="hub-east")]).pending[0]
    assert pending.code is ReasonCode.LATENCY
    assert pending.message == "1 center (west) are more than 10 ms from home hub-east"
    assert pending.exclusions[0].detail == "30.0 ms from home hub-east, above max_rtt_ms 10"


def test_plan_reports_work_diverted_west() -> None:
    snap = Snapshot.idle([EAST, WEST])
    snap = Snapshot(snap.centers, snap.node_free, network=network())
    jobs = [
        queued(1, job_spec(resources={"cpus": 4}), home="hub-east"),  # batch -> west (cheaper)
        queued(2, job_spec(resources={"cpus": 4}), home="hub-east"),  # west is full -> east
        queued(3, job_spec(resources={"cpus": 4}), home="hub-west"),  # no room left
    ]
    stats = schedule(snap, jobs).stats
    # 2 placed, both from an eastern home; 1 of them went west.
    assert (stats["diverted_west"], stats["diverted_west_share"]) == (1.0, 0.5)
    assert stats["west_share"] == 0.5
