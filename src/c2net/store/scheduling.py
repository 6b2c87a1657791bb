"""Scheduling: the snapshot the scheduler reads, committing its plan, expiring leases."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func, insert, select, update

from c2net.model import (
    ACTIVE,
    JobState,
    Plan,
    Resources,
    parse_spec,
)
from c2net.scheduler import QueuedJob, Snapshot
from c2net.store.attempts import end_attempt
from c2net.store.centers import CenterRepo
from c2net.store.schema import attempts, jobs

__all__ = ["SchedulingRepo"]


class SchedulingRepo(CenterRepo):
    def snapshot(self, now: float) -> tuple[Snapshot, list[QueuedJob]]:
        statuses = self.centers(now)
        with self._read() as conn:
            held = conn.execute(
                select(attempts.c.center, attempts.c.node, attempts.c.resources).where(
                    attempts.c.state.in_([s.value for s in ACTIVE])
                )
            ).all()
            queued = conn.execute(
                select(jobs.c.id, jobs.c.spec, jobs.c.submitted_at)
                .where(jobs.c.state == JobState.PENDING.value)
                .order_by(jobs.c.id)
            ).all()
        snap = Snapshot.with_allocations(
            [s.center for s in statuses],
            ((c, n, Resources.from_dict(r)) for c, n, r in held),
            taken_at=now,
        )
        reported = {s.center.name: s.reported_free for s in statuses}
        node_free = tuple(
            _within(nodes, reported.get(c.name))
            for c, nodes in zip(snap.centers, snap.node_free, strict=True)
        )
        snap = replace(snap, node_free=node_free)
        return snap, [QueuedJob(i, parse_spec(s), t) for i, s, t in queued]

    def commit(self, plan: Plan, now: float) -> int:
        """Apply a plan; a placement whose job is no longer pending is skipped. Returns placed."""
        placed = 0
        with self._lock, self.engine.begin() as conn:
            for p in plan.placements:
                moved = conn.execute(
                    update(jobs)
                    .where(jobs.c.id == p.job_id, jobs.c.state == JobState.PENDING.value)
                    .values(
                        state=JobState.ASSIGNED.value,
                        center=p.center,
                        updated_at=now,
                        reason=f"assigned to {p.center}",
                        detail=[],
                    )
                )
                if moved.rowcount != 1:
                    continue
                number = conn.execute(
                    select(func.count()).select_from(attempts).where(attempts.c.job_id == p.job_id)
                ).scalar_one()
                conn.execute(
                    insert(attempts).values(
                        job_id=p.job_id,
                        number=int(number) + 1,
                        center=p.center,
                        node=p.node,
                        resources=p.resources.to_dict(),
                        price_per_hour=p.price_per_hour,
                        state=JobState.ASSIGNED.value,
                        assigned_at=now,
                        lease_expires_at=now + self.lease_seconds,
                        reason="",
                        backend_id="",
                        log_size=0,
                    )
                )
                placed += 1
            for pend in plan.pending:
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id == pend.job_id, jobs.c.state == JobState.PENDING.value)
                    .values(
                        reason=pend.message,
                        detail=[
                            {"center": e.center, "code": e.code.value, "detail": e.detail}
                            for e in pend.exclusions
                        ],
                    )
                )
        return placed

    def expire_leases(self, now: float) -> list[int]:
        """Attempts whose lease ran out become LOST; their jobs go back to the queue while they
        have retries left. Returns the ids of the lost attempts."""
        with self._lock, self.engine.begin() as conn:
            stale = conn.execute(
                select(attempts.c.id, attempts.c.job_id, attempts.c.center).where(
                    attempts.c.state.in_([s.value for s in ACTIVE]),
                    attempts.c.lease_expires_at < now,
                )
            ).all()
            for attempt_id, _job_id, center in stale:
                reason = f"lost: center {center} stopped renewing the lease"
                end_attempt(conn, attempt_id, JobState.LOST, now, reason=reason)
            return [a for a, _, _ in stale]


def _within(
    ours: tuple[Resources, ...], theirs: tuple[Resources, ...] | None
) -> tuple[Resources, ...]:
    """Per node, the smaller of what our books say is free and what the cluster reports free
    (it also counts work submitted to it outside the network). Reports that do not match the
    node list (a stale report after re-registration) are ignored."""
    if theirs is None or len(theirs) != len(ours):
        return ours
    return tuple(
        Resources(
            min(a.cpus, b.cpus),
            min(a.memory_gb, b.memory_gb),
            {k: min(v, b.accelerators.get(k, 0)) for k, v in a.accelerators.items()},
        )
        for a, b in zip(ours, theirs, strict=True)
    )
