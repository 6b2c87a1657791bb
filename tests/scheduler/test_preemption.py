"""Spot jobs make room for on-demand work, within a per-cycle limit; pending jobs get an
estimated start from what runs now."""

from __future__ import annotations

from c2net.model import Preemption, ReasonCode, Resources
from c2net.scheduler import Running, Snapshot, schedule
from tests.scheduler.builders import cpu_center, job_spec, queued

C = cpu_center("c", 0.1, nodes=1, cpus=4)


def full_of(*running: Running) -> Snapshot:
    return Snapshot.of_running([C], running, taken_at=1000.0)


SPOT = Running(50, "c", 0, Resources(4, 1), spot=True, started_at=10.0)
ON_DEMAND = Running(51, "c", 0, Resources(4, 1), ends_at=5000.0)


def test_on_demand_preempts_a_spot_job() -> None:
    plan = schedule(full_of(SPOT), [queued(1, job_spec(resources={"cpus": 4}))])
    assert [p.job_id for p in plan.placements] == [1]
    assert plan.preemptions == (
        Preemption(50, "c", 0, 1, "preempted (spot) to make room for job 1"),
    )


def test_spot_work_does_not_preempt() -> None:
    plan = schedule(full_of(SPOT), [queued(1, job_spec(spot=True, resources={"cpus": 4}))])
    assert plan.preemptions == ()
    assert plan.pending[0].code is ReasonCode.BUSY


def test_preemptions_per_cycle_are_limited() -> None:
    two = cpu_center("c", 0.1, nodes=2, cpus=4)
    spots = [
        Running(50, "c", 0, Resources(4, 1), spot=True),
        Running(60, "c", 1, Resources(4, 1), spot=True),
    ]
    snap = Snapshot.of_running([two], spots)
    jobs = [queued(i, job_spec(resources={"cpus": 4})) for i in (1, 2)]
    assert len(schedule(snap, jobs).preemptions) == 2
    limited = schedule(snap, jobs, max_preemptions=1)
    assert [(p.job_id, p.for_job) for p in limited.preemptions] == [(50, 1)]
    assert [p.job_id for p in limited.pending] == [2]


def test_higher_priority_spot_is_not_preempted_by_normal_work() -> None:
    spot_high = Running(50, "c", 0, Resources(4, 1), spot=True, priority="high")
    plan = schedule(full_of(spot_high), [queued(1, job_spec(resources={"cpus": 4}))])
    assert plan.preemptions == ()


def test_pending_job_gets_an_estimated_start() -> None:
    plan = schedule(full_of(ON_DEMAND), [queued(1, job_spec(resources={"cpus": 4}))])
    # The node frees when job 51 ends (5000); nothing is known after that for a second job.
    assert plan.pending[0].estimated_start == 5000.0
    two_waiting = schedule(
        full_of(ON_DEMAND), [queued(i, job_spec(resources={"cpus": 4})) for i in (1, 2)]
    )
    assert [p.estimated_start for p in two_waiting.pending] == [5000.0, None]


def test_blocked_job_has_no_estimated_start() -> None:
    plan = schedule(full_of(ON_DEMAND), [queued(1, job_spec(resources={"cpus": 5}))])
    assert plan.pending[0].code is ReasonCode.NODE_TOO_SMALL
    assert plan.pending[0].estimated_start is None
