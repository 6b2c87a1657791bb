"""Jobs: submit (idempotent), read, list, cancel; the attempts behind the bill."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from c2net.model import (
    TERMINAL,
    Attempt,
    Exclusion,
    Job,
    JobSpec,
    JobState,
    ReasonCode,
    parse_spec,
)
from c2net.store.base import Conflict, NotFound, StoreBase, attempt_from_row
from c2net.store.schema import attempts, jobs

__all__ = ["JobRepo"]


class JobRepo(StoreBase):
    def submit(
        self,
        spec: JobSpec,
        now: float,
        idempotency_key: str | None = None,
        *,
        account_id: int | None = None,
        user_id: int | None = None,
    ) -> Job:
        """Queue a job; the same idempotency key from the same account returns the first job
        (also when two replicas receive the same submit at once: the unique key decides)."""
        try:
            return self._submit(spec, now, idempotency_key, account_id, user_id)
        except IntegrityError:
            if not idempotency_key:
                raise
            with self._read() as conn:
                return self._job(conn, self._keyed(conn, idempotency_key, account_id))

    def _keyed(self, conn: Connection, key: str, account_id: int | None) -> int:
        found = conn.execute(
            select(jobs.c.id).where(
                jobs.c.idempotency_key == key,
                jobs.c.account_id == account_id
                if account_id is not None
                else jobs.c.account_id.is_(None),
            )
        ).scalar_one()
        return int(found)

    def _submit(
        self,
        spec: JobSpec,
        now: float,
        idempotency_key: str | None,
        account_id: int | None,
        user_id: int | None,
    ) -> Job:
        with self._lock, self.engine.begin() as conn:
            if idempotency_key:
                found = conn.execute(
                    select(jobs.c.id).where(
                        jobs.c.idempotency_key == idempotency_key,
                        jobs.c.account_id == account_id
                        if account_id is not None
                        else jobs.c.account_id.is_(None),
                    )
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
                    max_retries=self.max_retries,
                    log_size=0,
                    idempotency_key=idempotency_key,
                    account_id=account_id,
                    user_id=user_id,
                )
            )
            key = inserted.inserted_primary_key
            assert key is not None
            return self._job(conn, int(key[0]))

    def job(self, job_id: int) -> Job:
        with self._read() as conn:
            return self._job(conn, job_id)

    def jobs(
        self,
        states: Iterable[JobState] = (),
        limit: int = 1000,
        *,
        account_id: int | None = None,
        at_centers: Iterable[str] | None = None,
    ) -> list[Job]:
        """Newest first; optionally only an account's jobs, or jobs that ran at some centers."""
        query = select(jobs.c.id).order_by(jobs.c.id.desc()).limit(limit)
        wanted = [s.value for s in states]
        if wanted:
            query = query.where(jobs.c.state.in_(wanted))
        if account_id is not None:
            query = query.where(jobs.c.account_id == account_id)
        if at_centers is not None:
            placed = select(attempts.c.job_id).where(attempts.c.center.in_(list(at_centers)))
            query = query.where(jobs.c.id.in_(placed))
        with self._read() as conn:
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
            attempts=[attempt_from_row(a) for a in rows],
            ended_at=row["ended_at"],
            exclusions=tuple(
                Exclusion(e["center"], ReasonCode(e["code"]), e["detail"]) for e in row["detail"]
            ),
            log_size=row["log_size"],
            account_id=row["account_id"],
            reason_code=ReasonCode(row["reason_code"]) if row["reason_code"] else None,
            estimated_start=row["estimated_start"],
        )
        return job

    def cancel(self, job_id: int, now: float) -> Job:
        """Cancel at once if pending; otherwise ask the agent to stop it."""
        with self._lock, self.engine.begin() as conn:
            # the row lock orders this against a commit or an attempt ending on another replica
            conn.execute(select(jobs.c.id).where(jobs.c.id == job_id).with_for_update())
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

    def all_attempts(
        self, *, account_id: int | None = None, at_centers: Iterable[str] | None = None
    ) -> list[tuple[Attempt, str]]:
        """Attempts with their job's name, oldest first (the bill's raw lines): all, an
        account's, or those run at some centers."""
        query = (
            select(attempts, jobs.c.name.label("job_name"))
            .join(jobs, jobs.c.id == attempts.c.job_id)
            .order_by(attempts.c.id)
        )
        if account_id is not None:
            query = query.where(jobs.c.account_id == account_id)
        if at_centers is not None:
            query = query.where(attempts.c.center.in_(list(at_centers)))
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        return [(attempt_from_row(r), r["job_name"]) for r in rows]
