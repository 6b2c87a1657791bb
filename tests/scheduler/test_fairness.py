"""Fair order: priority classes with aging, weighted DRF between accounts, quotas."""

from __future__ import annotations

from collections import Counter

import pytest

from c2net.clock import ManualClock
from c2net.model import ReasonCode, Resources
from c2net.scheduler import Account, QueuedJob, Running, Snapshot, schedule
from tests.scheduler.builders import cpu_center, job_spec, queued

FOUR = cpu_center("four", 0.1, nodes=1, cpus=4)  # room for four 1-cpu jobs
ONE = cpu_center("one", 0.1, nodes=1, cpus=1)


def placed_by_account(snap: Snapshot, jobs: list[QueuedJob]) -> Counter[str]:
    plan = schedule(snap, jobs)
    account = {j.id: j.account for j in jobs}
    return Counter(account[p.job_id] for p in plan.placements)


def flood() -> list[QueuedJob]:
    """Tenant `flood` queued 10 jobs before tenant `small` queued 4."""
    jobs = [queued(i, job_spec(), at=float(i), account="flood") for i in range(10)]
    return jobs + [queued(100 + i, job_spec(), at=100.0 + i, account="small") for i in range(4)]


@pytest.mark.parametrize(
    ("weights", "flood_gets", "small_gets"),
    [
        ({}, 2, 2),  # equal weights: 4 slots split 2/2 whatever the queue order
        ({"flood": 3.0, "small": 1.0}, 3, 1),  # shares 3:1
        ({"flood": 1.0, "small": 3.0}, 1, 3),
    ],
)
def test_weighted_drf_a_flood_cannot_push_another_tenant_below_its_weight(
    weights: dict[str, float], flood_gets: int, small_gets: int
) -> None:
    snap = Snapshot.idle([FOUR])
    snap = Snapshot(
        snap.centers, snap.node_free, accounts={a: Account(w) for a, w in weights.items()}
    )
    got = placed_by_account(snap, flood())
    assert (got["flood"], got["small"]) == (flood_gets, small_gets)


def test_running_work_counts_toward_the_share() -> None:
    # flood already runs 2 cpus elsewhere (of 4 + 2 = 6 in the pool): small goes first until
    # both hold the same share.
    two = cpu_center("two", 0.1, nodes=1, cpus=2)
    running = [Running(7, "two", 0, Resources(2, 1), account="flood")]
    snap = Snapshot.of_running([FOUR, two], running)
    got = placed_by_account(snap, flood())
    # 4 free slots: small takes 3 (shares 2 vs 3 after), flood 1 -> both at 3/6.
    assert (got["flood"], got["small"]) == (1, 3)


def test_priority_then_aging() -> None:
    clock = ManualClock(10 * 3600.0)
    snap = Snapshot.idle([ONE], taken_at=clock.now())
    normal = queued(1, job_spec(), at=9 * 3600.0)
    high = queued(2, job_spec(priority="high"), at=10 * 3600.0)  # newest, but high
    assert [p.job_id for p in schedule(snap, [normal, high], clock=clock).placements] == [2]
    # A low job that waited 10 h climbs two classes (aging: one per 4 h) to high, and is older.
    low = queued(3, job_spec(priority="low"), at=0.0)
    assert [p.job_id for p in schedule(snap, [high, low], clock=clock).placements] == [3]
    no_aging = schedule(snap, [high, low], clock=clock, aging_hours=0)
    assert [p.job_id for p in no_aging.placements] == [2]


def test_quota_limits_what_an_account_holds() -> None:
    snap = Snapshot.of_running(
        [FOUR, cpu_center("other", 0.1, cpus=2)],
        [Running(7, "other", 0, Resources(1, 1), account="a")],
    )
    snap = Snapshot(
        snap.centers, snap.node_free, running=snap.running, accounts={"a": Account(max_cpus=3)}
    )
    jobs = [queued(i, job_spec(), account="a") for i in range(3)]
    plan = schedule(snap, jobs)
    # 1 cpu running + 2 placed = the quota of 3; the third waits.
    assert len(plan.placements) == 2
    assert plan.pending[0].code is ReasonCode.QUOTA
    assert plan.pending[0].message == (
        "account a is at its quota (cpus 3); it will start when its running jobs end"
    )
