"""Ending an attempt and moving its job on: shared by agent reports and lease expiry."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from c2net.model import (
    JobState,
    check_transition,
)
from c2net.store.booking import settle_attempt
from c2net.store.events import market_stop_reason
from c2net.store.schema import attempts, jobs

__all__ = ["end_attempt"]


def end_attempt(
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
    preempted = row["preempted_reason"]
    if preempted and state is not JobState.SUCCEEDED:
        # stopped for on-demand work (or died on the way out): the consumer's risk, billed for
        # what ran (market.ledger.billable), and the job goes back to the queue
        state, reason = JobState.LOST, preempted
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
    job = (
        conn.execute(select(jobs).where(jobs.c.id == row["job_id"]).with_for_update())
        .mappings()
        .one()
    )
    tries = conn.execute(
        select(func.count()).select_from(attempts).where(attempts.c.job_id == job["id"])
    ).scalar_one()
    values: dict[str, Any] = {"updated_at": now, "exit_code": exit_code}
    if state is JobState.LOST and job["cancel_requested"]:
        values |= {"state": JobState.CANCELLED.value, "ended_at": now, "reason": reason}
    elif state is JobState.LOST and (preempted or tries <= job["max_retries"]):
        values |= {
            "state": JobState.PENDING.value,
            "center": None,
            "reason": f"requeued after attempt {tries} was {reason}",
        }
    else:
        check_transition(JobState(job["state"]), state)
        values |= {"state": state.value, "ended_at": now, "reason": reason or state.value}
    stopped = market_stop_reason(conn, job["id"])  # the market stopped it: say why, not "killed"
    if stopped and values.get("state") == JobState.CANCELLED.value:
        values["reason"] = stopped
    conn.execute(update(jobs).where(jobs.c.id == job["id"]).values(**values))
    settle_attempt(conn, attempt_id, now)  # bill what ran (a LOST attempt is not billed)
