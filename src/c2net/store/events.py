"""The market's events and the jobs it stops, inside a caller's transaction: a notice in the
events (`GET /v1/events`), in the job's log and in its market terms (budget reached, funds
exhausted), so the job's reason says why it ended."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from c2net.model import ACTIVE
from c2net.store.schema import attempts, job_terms, jobs, logs, market_events

__all__ = ["add_event", "market_stop_reason", "set_job_terms", "stop_job"]


def add_event(
    conn: Connection,
    now: float,
    account_id: int | None,
    kind: str,
    message: str,
    job_id: int | None = None,
) -> None:
    conn.execute(
        insert(market_events).values(
            at=now, account_id=account_id, job_id=job_id, kind=kind, message=message
        )
    )


def _notice(conn: Connection, job_id: int, text: str) -> None:
    """Append a gateway notice to the job's log (after what the agent sent so far)."""
    attempt_id = conn.execute(
        select(attempts.c.id).where(attempts.c.job_id == job_id).order_by(attempts.c.number.desc())
    ).scalar()
    if attempt_id is None:
        return
    size = conn.execute(select(jobs.c.log_size).where(jobs.c.id == job_id)).scalar_one()
    data = f"\n[c2net] {text}\n"
    conn.execute(insert(logs).values(job_id=job_id, attempt_id=attempt_id, offset=size, data=data))
    conn.execute(update(jobs).where(jobs.c.id == job_id).values(log_size=size + len(data)))


def stop_job(
    conn: Connection, job_id: int, account_id: int | None, now: float, kind: str, reason: str
) -> bool:
    """Ask the job's center to stop it (the agent hears at its next heartbeat), say why in the
    job, its log and the events. False when it was already being stopped."""
    row = conn.execute(
        select(jobs.c.cancel_requested, jobs.c.state).where(jobs.c.id == job_id)
    ).one()
    if row[0] or row[1] not in {s.value for s in ACTIVE}:
        return False
    conn.execute(
        update(jobs)
        .where(jobs.c.id == job_id)
        .values(cancel_requested=True, reason=reason, updated_at=now)
    )
    set_job_terms(conn, job_id, stopped_reason=reason)
    _notice(conn, job_id, reason)
    add_event(conn, now, account_id, kind, f"job {job_id} {reason}", job_id)
    return True


def set_job_terms(conn: Connection, job_id: int, **values: Any) -> None:
    exists = conn.execute(select(job_terms.c.job_id).where(job_terms.c.job_id == job_id)).first()
    if exists:
        conn.execute(update(job_terms).where(job_terms.c.job_id == job_id).values(**values))
    else:
        conn.execute(insert(job_terms).values(job_id=job_id, **values))


def market_stop_reason(conn: Connection, job_id: int) -> str | None:
    """Why the market stopped the job (budget reached, funds exhausted), if it did."""
    return conn.execute(
        select(job_terms.c.stopped_reason).where(job_terms.c.job_id == job_id)
    ).scalar_one_or_none()
