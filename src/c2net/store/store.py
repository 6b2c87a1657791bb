"""The gateway's repository: every read and write of network state goes through Store."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from c2net.model import (
    ACTIVE,
    TERMINAL,
    Attempt,
    Center,
    Exclusion,
    Health,
    Job,
    JobSpec,
    JobState,
    Plan,
    ReasonCode,
    Resources,
    check_transition,
    parse_spec,
)
from c2net.network import center_to_dict, parse_center
from c2net.scheduler import QueuedJob, Snapshot
from c2net.store.database import make_engine
from c2net.store.schema import attempts, centers, jobs, logs

__all__ = ["CenterStatus", "Conflict", "NotFound", "Store"]


class NotFound(LookupError):
    pass


class Conflict(RuntimeError):
    """The request contradicts the current state (a stale lease, a job already ended)."""


@dataclass(frozen=True)
class CenterStatus:
    center: Center
    registered_at: float
    last_heartbeat: float
    used: Resources
    running_jobs: int
    agent: dict[str, Any]


class Store:
    def __init__(
        self,
        url: str = "sqlite://",
        *,
        heartbeat_timeout: float = 15.0,
        lease_seconds: float = 30.0,
    ) -> None:
        self.engine: Engine = make_engine(url)
        self.heartbeat_timeout = heartbeat_timeout
        self.lease_seconds = lease_seconds
        self._lock = threading.RLock()  # SQLite has one writer; keep ours in line

    # ---------------------------------------------------------------- centers

    def register_center(self, center: Center, now: float, agent: dict[str, Any]) -> None:
        data = center_to_dict(center)
        row = {
            "hub": center.hub,
            "region": center.region,
            "role": center.role,
            "backend": center.backend,
            "emulated": center.emulated,
            "pools": data["pools"],
            "prices": data["prices"],
            "last_heartbeat": now,
            "agent": agent,
        }
        with self._lock, self.engine.begin() as conn:
            exists = conn.execute(select(centers.c.name).where(centers.c.name == center.name))
            if exists.first():
                conn.execute(update(centers).where(centers.c.name == center.name).values(**row))
            else:
                seq = conn.execute(select(func.coalesce(func.max(centers.c.seq), 0))).scalar_one()
                conn.execute(
                    insert(centers).values(
                        name=center.name, seq=int(seq) + 1, registered_at=now, **row
                    )
                )

    def _center(self, row: RowMapping, now: float) -> Center:
        data = dict(row)
        data.pop("seq")
        for key in ("registered_at", "last_heartbeat", "agent"):
            data.pop(key)
        c = parse_center(data)
        healthy = now - row["last_heartbeat"] <= self.heartbeat_timeout
        return Center(
            c.name,
            c.hub,
            c.region,
            c.pools,
            c.prices,
            c.role,
            c.backend,
            c.emulated,
            Health.HEALTHY if healthy else Health.UNHEALTHY,
        )

    def centers(self, now: float) -> list[CenterStatus]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(centers).order_by(centers.c.seq)).mappings().all()
            active = conn.execute(
                select(attempts.c.center, attempts.c.resources).where(
                    attempts.c.state.in_([s.value for s in ACTIVE])
                )
            ).all()
        used: dict[str, list[Resources]] = {}
        for name, res in active:
            used.setdefault(name, []).append(Resources.from_dict(res))
        return [
            CenterStatus(
                center=self._center(r, now),
                registered_at=r["registered_at"],
                last_heartbeat=r["last_heartbeat"],
                used=Resources.total(used.get(r["name"], [])),
                running_jobs=len(used.get(r["name"], [])),
                agent=dict(r["agent"] or {}),
            )
            for r in rows
        ]

    def heartbeat(self, center: str, now: float, held: Sequence[int]) -> list[int]:
        """Record a heartbeat, renew the leases of the attempts the agent holds, and return the
        attempts it must stop (cancelled, or no longer the job's live attempt)."""
        with self._lock, self.engine.begin() as conn:
            done = conn.execute(
                update(centers).where(centers.c.name == center).values(last_heartbeat=now)
            )
            if done.rowcount == 0:
                raise NotFound(f"center {center} is not registered")
            live = conn.execute(
                select(attempts.c.id, jobs.c.cancel_requested)
                .join(jobs, jobs.c.id == attempts.c.job_id)
                .where(attempts.c.center == center, attempts.c.state.in_([s.value for s in ACTIVE]))
            ).all()
            live_ids = {a for a, _ in live}
            renew = [a for a in held if a in live_ids]
            if renew:
                conn.execute(
                    update(attempts)
                    .where(attempts.c.id.in_(renew))
                    .values(lease_expires_at=now + self.lease_seconds)
                )
            stop = [a for a, cancel in live if cancel and a in held]
            stop += [a for a in held if a not in live_ids]
            return sorted(set(stop))

    # ---------------------------------------------------------------- jobs

    def submit(self, spec: JobSpec, now: float, idempotency_key: str | None = None) -> Job:
        with self._lock, self.engine.begin() as conn:
            if idempotency_key:
                found = conn.execute(
                    select(jobs.c.id).where(jobs.c.idempotency_key == idempotency_key)
                ).first()
                if found:
                    return self._job(conn, found[0])
            inserted = conn.execute(
                insert(jobs).values(
                    name=spec.name,
                    spec=spec.to_dict(),
                    state=JobState.PENDING.value,
                    reason="waiting for the next scheduling cycle",
                    detail=[],
                    submitted_at=now,
                    updated_at=now,
                    cancel_requested=False,
                    max_retries=3,
                    log_size=0,
                    idempotency_key=idempotency_key,
                )
            )
            key = inserted.inserted_primary_key
            assert key is not None
            return self._job(conn, int(key[0]))

    def job(self, job_id: int) -> Job:
        with self.engine.connect() as conn:
            return self._job(conn, job_id)

    def jobs(self, states: Iterable[JobState] = (), limit: int = 1000) -> list[Job]:
        query = select(jobs.c.id).order_by(jobs.c.id.desc()).limit(limit)
        wanted = [s.value for s in states]
        if wanted:
            query = query.where(jobs.c.state.in_(wanted))
        with self.engine.connect() as conn:
            ids = [r[0] for r in conn.execute(query)]
            return [self._job(conn, i) for i in ids]

    def _job(self, conn: Connection, job_id: int) -> Job:
        row = conn.execute(select(jobs).where(jobs.c.id == job_id)).mappings().first()
        if row is None:
            raise NotFound(f"job {job_id} not found")
        rows = conn.execute(
            select(attempts).where(attempts.c.job_id == job_id).order_by(attempts.c.number)
        ).mappings()
        job = Job(
            id=row["id"],
            spec=parse_spec(row["spec"]),
            state=JobState(row["state"]),
            submitted_at=row["submitted_at"],
            reason=row["reason"],
            center=row["center"],
            exit_code=row["exit_code"],
            cancel_requested=row["cancel_requested"],
            attempts=[_attempt(a) for a in rows],
            ended_at=row["ended_at"],
            exclusions=tuple(
                Exclusion(e["center"], ReasonCode(e["code"]), e["detail"]) for e in row["detail"]
            ),
            log_size=row["log_size"],
        )
        return job

    def cancel(self, job_id: int, now: float) -> Job:
        """Cancel at once if pending; otherwise ask the agent to stop it."""
        with self._lock, self.engine.begin() as conn:
            job = self._job(conn, job_id)
            if job.state in TERMINAL:
                raise Conflict(f"job {job_id} already ended ({job.state})")
            if job.state is JobState.PENDING:
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id == job_id)
                    .values(
                        state=JobState.CANCELLED.value,
                        reason="cancelled while pending",
                        cancel_requested=True,
                        updated_at=now,
                        ended_at=now,
                    )
                )
            else:
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id == job_id)
                    .values(cancel_requested=True, reason="cancel requested", updated_at=now)
                )
            return self._job(conn, job_id)

    # ---------------------------------------------------------------- scheduling

    def snapshot(self, now: float) -> tuple[Snapshot, list[QueuedJob]]:
        statuses = self.centers(now)
        with self.engine.connect() as conn:
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
                self._end_attempt(conn, attempt_id, JobState.LOST, now, reason=reason)
            return [a for a, _, _ in stale]

    # ---------------------------------------------------------------- agent side

    def lease(self, center: str, now: float, held: Sequence[int]) -> list[Attempt]:
        """Attempts assigned to `center` that its agent does not hold yet (re-sent until held)."""
        with self._lock, self.engine.begin() as conn:
            rows = (
                conn.execute(
                    select(attempts).where(
                        attempts.c.center == center,
                        attempts.c.state == JobState.ASSIGNED.value,
                        attempts.c.backend_id == "",
                    )
                )
                .mappings()
                .all()
            )
            fresh = [r for r in rows if r["id"] not in set(held)]
            if fresh:
                conn.execute(
                    update(attempts)
                    .where(attempts.c.id.in_([r["id"] for r in fresh]))
                    .values(lease_expires_at=now + self.lease_seconds)
                )
            return [_attempt(r) for r in fresh]

    def report(
        self,
        center: str,
        attempt_id: int,
        state: JobState,
        now: float,
        *,
        exit_code: int | None = None,
        wall_seconds: float | None = None,
        reason: str = "",
        backend_id: str = "",
    ) -> Attempt:
        """An agent's news about an attempt. Refused (Conflict) for an attempt the center does
        not hold any more, or for a move the state machine forbids."""
        with self._lock, self.engine.begin() as conn:
            row = (
                conn.execute(select(attempts).where(attempts.c.id == attempt_id)).mappings().first()
            )
            if row is None or row["center"] != center:
                raise NotFound(f"attempt {attempt_id} is not held by center {center}")
            current = JobState(row["state"])
            if current in TERMINAL:
                raise Conflict(f"attempt {attempt_id} already ended ({current}); lease not held")
            if state == current:
                if backend_id:
                    conn.execute(
                        update(attempts)
                        .where(attempts.c.id == attempt_id)
                        .values(backend_id=backend_id, reason=reason or row["reason"])
                    )
                return _attempt(row)
            check_transition(current, state)
            if state is JobState.RUNNING:
                conn.execute(
                    update(attempts)
                    .where(attempts.c.id == attempt_id)
                    .values(
                        state=state.value,
                        started_at=now,
                        reason=reason,
                        backend_id=backend_id or row["backend_id"],
                    )
                )
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id == row["job_id"])
                    .values(state=state.value, updated_at=now, reason=f"running at {center}")
                )
            else:
                self._end_attempt(
                    conn,
                    attempt_id,
                    state,
                    now,
                    exit_code=exit_code,
                    wall_seconds=wall_seconds,
                    reason=reason,
                )
            out = conn.execute(select(attempts).where(attempts.c.id == attempt_id)).mappings()
            return _attempt(out.one())

    def _end_attempt(
        self,
        conn: Connection,
        attempt_id: int,
        state: JobState,
        now: float,
        *,
        exit_code: int | None = None,
        wall_seconds: float | None = None,
        reason: str = "",
    ) -> None:
        row = conn.execute(select(attempts).where(attempts.c.id == attempt_id)).mappings().one()
        started = row["started_at"]
        if wall_seconds is None:
            wall_seconds = max(now - started, 0.0) if started is not None else 0.0
        conn.execute(
            update(attempts)
            .where(attempts.c.id == attempt_id)
            .values(
                state=state.value,
                ended_at=now,
                wall_seconds=wall_seconds,
                exit_code=exit_code,
                reason=reason,
                started_at=started if started is not None else now,
            )
        )
        job = conn.execute(select(jobs).where(jobs.c.id == row["job_id"])).mappings().one()
        tries = conn.execute(
            select(func.count()).select_from(attempts).where(attempts.c.job_id == job["id"])
        ).scalar_one()
        values: dict[str, Any] = {"updated_at": now, "exit_code": exit_code}
        if state is JobState.LOST and job["cancel_requested"]:
            values |= {"state": JobState.CANCELLED.value, "ended_at": now, "reason": reason}
        elif state is JobState.LOST and tries <= job["max_retries"]:
            values |= {
                "state": JobState.PENDING.value,
                "center": None,
                "reason": f"requeued after attempt {tries} was {reason}",
            }
        else:
            check_transition(JobState(job["state"]), state)
            values |= {"state": state.value, "ended_at": now, "reason": reason or state.value}
        conn.execute(update(jobs).where(jobs.c.id == job["id"]).values(**values))

    def append_log(self, center: str, attempt_id: int, offset: int, data: str) -> int:
        """Append the attempt's output from `offset` (the agent's own count); a chunk sent twice
        is stored once. Returns the attempt's log size after the append."""
        with self._lock, self.engine.begin() as conn:
            row = (
                conn.execute(select(attempts).where(attempts.c.id == attempt_id)).mappings().first()
            )
            if row is None or row["center"] != center:
                raise NotFound(f"attempt {attempt_id} is not held by center {center}")
            size = int(row["log_size"])
            if offset > size:
                raise Conflict(
                    f"log gap: attempt {attempt_id} has {size} chars, got offset {offset}"
                )
            data = data[size - offset :]
            if data:
                job_size = conn.execute(
                    select(jobs.c.log_size).where(jobs.c.id == row["job_id"])
                ).scalar_one()
                conn.execute(
                    insert(logs).values(
                        job_id=row["job_id"], attempt_id=attempt_id, offset=job_size, data=data
                    )
                )
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id == row["job_id"])
                    .values(log_size=job_size + len(data))
                )
                conn.execute(
                    update(attempts)
                    .where(attempts.c.id == attempt_id)
                    .values(log_size=size + len(data))
                )
            return size + len(data)

    def read_log(self, job_id: int, offset: int = 0) -> tuple[str, int]:
        """The job's output from `offset` on, and the offset to ask for next."""
        with self.engine.connect() as conn:
            size = conn.execute(select(jobs.c.log_size).where(jobs.c.id == job_id)).scalar()
            if size is None:
                raise NotFound(f"job {job_id} not found")
            chunks = conn.execute(
                select(logs.c.offset, logs.c.data)
                .where(logs.c.job_id == job_id, logs.c.offset + func.length(logs.c.data) > offset)
                .order_by(logs.c.offset)
            ).all()
        text = "".join(data[max(offset - start, 0) :] for start, data in chunks)
        return text, max(offset, 0) + len(text)

    def all_attempts(self) -> list[tuple[Attempt, str]]:
        """Every attempt with its job's name, oldest first (the bill's raw lines)."""
        with self.engine.connect() as conn:
            rows = (
                conn.execute(
                    select(attempts, jobs.c.name.label("job_name"))
                    .join(jobs, jobs.c.id == attempts.c.job_id)
                    .order_by(attempts.c.id)
                )
                .mappings()
                .all()
            )
        return [(_attempt(r), r["job_name"]) for r in rows]


def _attempt(row: RowMapping) -> Attempt:
    return Attempt(
        id=row["id"],
        job_id=row["job_id"],
        number=row["number"],
        center=row["center"],
        node=row["node"],
        resources=Resources.from_dict(row["resources"]),
        price_per_hour=row["price_per_hour"],
        state=JobState(row["state"]),
        assigned_at=row["assigned_at"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        wall_seconds=row["wall_seconds"],
        exit_code=row["exit_code"],
        reason=row["reason"],
        backend_id=row["backend_id"],
    )
