"""Scheduling: the snapshot the scheduler reads, committing its plan, expiring leases."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from c2net.model import (
    ACTIVE,
    JobState,
    Pending,
    Placement,
    Plan,
    Resources,
    parse_spec,
)
from c2net.scheduler import Account, Dataset, QueuedJob, Running, Snapshot
from c2net.store.attempts import end_attempt
from c2net.store.centers import CenterRepo
from c2net.store.identities import account_from_row
from c2net.store.schema import accounts, attempts, datasets, jobs

__all__ = ["SchedulingRepo"]


class SchedulingRepo(CenterRepo):
    def snapshot(self, now: float) -> tuple[Snapshot, list[QueuedJob]]:
        """The pool as the scheduler sees it: per-node free room (our books, and what each
        cluster reports), who holds what, tenants' weights, quotas and homes, datasets and the
        network between hubs; and the queue in submission order."""
        statuses = self.centers(now)
        with self._read() as conn:
            held = conn.execute(
                select(
                    attempts.c.job_id,
                    attempts.c.center,
                    attempts.c.node,
                    attempts.c.nodes,
                    attempts.c.resources,
                    attempts.c.started_at,
                    attempts.c.assigned_at,
                    attempts.c.preempted_reason,
                    jobs.c.spec,
                    accounts.c.name,
                )
                .join(jobs, jobs.c.id == attempts.c.job_id)
                .outerjoin(accounts, accounts.c.id == jobs.c.account_id)
                .where(attempts.c.state.in_([s.value for s in ACTIVE]))
            ).all()
            queued = conn.execute(
                select(
                    jobs.c.id,
                    jobs.c.spec,
                    jobs.c.submitted_at,
                    jobs.c.account_id,
                    jobs.c.reason,
                    jobs.c.reason_code,
                    jobs.c.estimated_start,
                )
                .where(jobs.c.state == JobState.PENDING.value)
                .order_by(jobs.c.id)
            ).all()
            waiting = self._backing_off(conn, now)
            stored = conn.execute(
                select(datasets.c.name, datasets.c.center, datasets.c.size_gb)
            ).all()
            tenants = {
                r["id"]: account_from_row(r)
                for r in conn.execute(select(accounts)).mappings().all()
            }
        running = [r for row in held for r in _running(row)]
        snap = Snapshot.with_allocations(
            [s.center for s in statuses],
            ((r.center, r.node, r.resources) for r, _ in running),
            taken_at=now,
        )
        reported = {s.center.name: s.reported_free for s in statuses}
        node_free = tuple(
            _within(nodes, reported.get(c.name))
            for c, nodes in zip(snap.centers, snap.node_free, strict=True)
        )
        snap = replace(
            snap,
            node_free=node_free,
            # an attempt already being preempted is on its way out: not a victim twice
            running=tuple(r for r, leaving in running if not leaving),
            datasets={n: Dataset(c, float(gb)) for n, c, gb in stored},
            network=self.network,
            accounts={
                a.name: Account(a.weight, a.max_cpus, a.max_memory_gb, a.max_accelerators)
                for a in tenants.values()
            },
        )
        queue = []
        # what each pending job says now: the commit writes only what changes (a queue of
        # 100,000 would otherwise be rewritten every cycle)
        self._said = {i: (reason, code, start) for i, _, _, _, reason, code, start in queued}
        for i, s, t, acct, *_ in queued:
            if i in waiting:
                continue
            tenant = tenants.get(acct)
            name, home = (tenant.name, tenant.home) if tenant is not None else ("", "")
            queue.append(QueuedJob(i, parse_spec(s), t, account=name, home=home))
        return snap, queue

    def _backing_off(self, conn: Connection, now: float) -> set[int]:
        """Pending jobs still waiting out the backoff after their last lost attempt."""
        if self.retry_backoff <= 0:
            return set()
        lost = conn.execute(
            select(attempts.c.job_id, func.count(), func.max(attempts.c.ended_at))
            .join(jobs, jobs.c.id == attempts.c.job_id)
            .where(
                jobs.c.state == JobState.PENDING.value,
                attempts.c.state == JobState.LOST.value,
            )
            .group_by(attempts.c.job_id)
        ).all()
        return {j for j, n, at in lost if now < (at or 0.0) + self.requeue_delay(int(n))}

    def extend_leases(self, now: float) -> int:
        """Give every live lease at least a full term from now (a gateway that takes the lead
        does this: while no gateway ran, agents could not renew). Returns how many."""
        term = now + self.lease_seconds
        with self._lock, self.engine.begin() as conn:
            done = conn.execute(
                update(attempts)
                .where(
                    attempts.c.state.in_([s.value for s in ACTIVE]),
                    attempts.c.lease_expires_at < term,
                )
                .values(lease_expires_at=term)
            )
            return int(done.rowcount)

    def commit(
        self,
        plan: Plan,
        now: float,
        *,
        fence: Callable[[Connection], bool] | None = None,
        on_placed: Callable[[Connection, Placement, int], None] | None = None,
    ) -> int:
        """Apply a plan; a placement whose job is no longer pending is skipped. Returns placed.

        The conditional UPDATE is the guard against double placement: on PostgreSQL a second
        committer blocks on the job's row lock and then sees the job no longer PENDING. `fence`,
        checked first in the same transaction, refuses the whole plan of a deposed leader.
        `on_placed(conn, placement, attempt_id)` records more about each new attempt in the same
        transaction (all or nothing, also when the gateway is killed mid-commit)."""
        placed = 0
        with self._lock, self.engine.begin() as conn:
            if fence is not None and not fence(conn):
                return 0
            for p in plan.placements:
                moved = conn.execute(
                    update(jobs)
                    .where(jobs.c.id == p.job_id, jobs.c.state == JobState.PENDING.value)
                    .values(
                        state=JobState.ASSIGNED.value,
                        center=p.center,
                        updated_at=now,
                        reason=f"assigned to {p.center}",
                        reason_code=None,
                        estimated_start=None,
                        detail=[],
                    )
                )
                if moved.rowcount != 1:
                    continue
                number = conn.execute(
                    select(func.count()).select_from(attempts).where(attempts.c.job_id == p.job_id)
                ).scalar_one()
                inserted = conn.execute(
                    insert(attempts).values(
                        job_id=p.job_id,
                        number=int(number) + 1,
                        center=p.center,
                        node=p.node,
                        nodes=list(p.all_nodes) if len(p.all_nodes) > 1 else None,
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
                if on_placed is not None:
                    key = inserted.inserted_primary_key
                    assert key is not None
                    on_placed(conn, p, int(key[0]))
                placed += 1
            for pre in plan.preemptions:
                conn.execute(
                    update(attempts)
                    .where(
                        attempts.c.job_id == pre.job_id,
                        attempts.c.state.in_([s.value for s in ACTIVE]),
                        attempts.c.preempted_reason.is_(None),
                    )
                    .values(preempted_reason=pre.reason)
                )
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id == pre.job_id)
                    .values(reason=f"stopping: {pre.reason}", updated_at=now)
                )
            for pend in plan.pending:
                sentence, code = pend.message, pend.code.value if pend.code else None
                if _same(self._said.get(pend.job_id), sentence, code, pend.estimated_start):
                    continue
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id == pend.job_id, jobs.c.state == JobState.PENDING.value)
                    .values(
                        reason=sentence,
                        reason_code=code,
                        detail=_record(pend),
                        estimated_start=pend.estimated_start,
                    )
                )
        return placed

    def expire_leases(self, now: float) -> list[int]:
        """Attempts whose lease ran out become LOST; their jobs go back to the queue while they
        have retries left. Returns the ids of the lost attempts."""
        with self._lock, self.engine.begin() as conn:
            stale = conn.execute(
                select(attempts.c.id, attempts.c.job_id, attempts.c.center)
                .where(
                    attempts.c.state.in_([s.value for s in ACTIVE]),
                    attempts.c.lease_expires_at < now,
                )
                .order_by(attempts.c.id)
                .with_for_update()  # a report racing on another replica waits, then conflicts
            ).all()
            for attempt_id, _job_id, center in stale:
                reason = f"lost: center {center} stopped renewing the lease"
                end_attempt(conn, attempt_id, JobState.LOST, now, reason=reason)
            return [a for a, _, _ in stale]


def _running(row: Sequence[Any]) -> list[tuple[Running, bool]]:
    """One active attempt as allocations, one per node (a gang holds its per-node resources
    on each), each with whether the attempt is being preempted."""
    _, center, first, gang, res, started, assigned, preempted, spec, account = row
    parsed = parse_spec(spec)
    since = started if started is not None else assigned
    held = Resources.from_dict(res)
    return [
        (
            Running(
                row[0],
                center,
                n,
                held,
                account=account or "",
                spot=parsed.spot,
                priority=parsed.priority,
                started_at=since,
                ends_at=since + parsed.runtime_hours * 3600,
            ),
            preempted is not None,
        )
        for n in gang or [first]
    ]


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


MAX_EXCLUSIONS = 50  # per job: the decision record behind its reason (`explain` has them all)


def _record(pend: Pending) -> list[dict[str, str]]:
    return [
        {"center": e.center, "code": e.code.value, "detail": e.detail}
        for e in itertools.islice(pend.exclusions, MAX_EXCLUSIONS)
    ]


def _same(
    said: tuple[str, str | None, float | None] | None,
    sentence: str,
    code: str | None,
    start: float | None,
) -> bool:
    """Whether a pending job already says this (estimated starts within a minute agree)."""
    if said is None or said[0] != sentence or said[1] != code:
        return False
    if said[2] is None or start is None:
        return said[2] is start
    return abs(said[2] - start) < 60.0
