"""The agent side: leases, reports and output."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from c2net.model import (
    TERMINAL,
    Attempt,
    JobState,
    check_transition,
)
from c2net.store.attempts import end_attempt
from c2net.store.base import Conflict, NotFound, StoreBase, attempt_from_row
from c2net.store.booking import book_egress
from c2net.store.schema import attempts, jobs, logs

__all__ = ["AgentRepo"]


class AgentRepo(StoreBase):
    def lease(self, center: str, now: float, held: Sequence[int]) -> list[Attempt]:
        """Attempts assigned to `center` that its agent does not hold yet (re-sent until held)."""
        with self._lock, self.engine.begin() as conn:
            rows = (
                conn.execute(
                    select(attempts)
                    .where(
                        attempts.c.center == center,
                        attempts.c.state == JobState.ASSIGNED.value,
                        attempts.c.backend_id == "",
                    )
                    .order_by(attempts.c.id)
                    .with_for_update()
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
            return [attempt_from_row(r) for r in fresh]

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
            row = _held(conn, center, attempt_id)
            current = JobState(row["state"])
            if current in TERMINAL:
                raise Conflict(f"attempt {attempt_id} already ended ({current}); lease not held")
            if state == current:  # news without a move: a backend id, or why it still waits
                conn.execute(
                    update(attempts)
                    .where(attempts.c.id == attempt_id)
                    .values(backend_id=backend_id or row["backend_id"], reason=reason)
                )
                if state is JobState.ASSIGNED and reason:
                    conn.execute(
                        update(jobs)
                        .where(jobs.c.id == row["job_id"])
                        .values(reason=f"queued inside {center}: {reason}", updated_at=now)
                    )
                fresh = conn.execute(select(attempts).where(attempts.c.id == attempt_id))
                return attempt_from_row(fresh.mappings().one())
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
                # its inputs held elsewhere have now moved: egress is charged when it starts
                # (a job cancelled before it starts moved nothing)
                book_egress(
                    conn,
                    attempt_id,
                    now,
                    network_price=self.network.egress_per_gb,
                )
            else:
                end_attempt(
                    conn,
                    attempt_id,
                    state,
                    now,
                    exit_code=exit_code,
                    wall_seconds=wall_seconds,
                    reason=reason,
                )
            out = conn.execute(select(attempts).where(attempts.c.id == attempt_id)).mappings()
            return attempt_from_row(out.one())

    def append_log(self, center: str, attempt_id: int, offset: int, data: str) -> int:
        """Append the attempt's output from `offset` (the agent's own count); a chunk sent twice
        is stored once. Returns the attempt's log size after the append."""
        with self._lock, self.engine.begin() as conn:
            row = _held(conn, center, attempt_id)
            size = int(row["log_size"])
            if offset > size:
                raise Conflict(
                    f"log gap: attempt {attempt_id} has {size} chars, got offset {offset}"
                )
            data = data[size - offset :]
            if data:
                job_size = conn.execute(
                    select(jobs.c.log_size).where(jobs.c.id == row["job_id"]).with_for_update()
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
        with self._read() as conn:
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


def _held(conn: Connection, center: str, attempt_id: int) -> RowMapping:
    """The attempt's row, locked (a report, a log chunk and lease expiry on other replicas
    queue up behind it); NotFound unless `center` holds it."""
    row = (
        conn.execute(select(attempts).where(attempts.c.id == attempt_id).with_for_update())
        .mappings()
        .first()
    )
    if row is None or row["center"] != center:
        raise NotFound(f"attempt {attempt_id} is not held by center {center}")
    return row
