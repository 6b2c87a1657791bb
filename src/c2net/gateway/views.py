"""Domain objects to API bodies. Costs come from the market's metering, never recomputed here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from c2net.gateway.schemas import (
    AttemptOut,
    BillLineOut,
    BillOut,
    CenterOut,
    ExclusionOut,
    JobOut,
)
from c2net.market import Bill, BillLine, make_line
from c2net.model import ACTIVE, Attempt, Job, NodePool, Resources
from c2net.store import CenterStatus

__all__ = ["attempt_line", "attempt_out", "bill_out", "center_out", "job_out"]

CURRENCY = "CNY"


def _elapsed(a: Attempt, now: float) -> float:
    if a.wall_seconds is not None:
        return a.wall_seconds
    if a.state in ACTIVE and a.started_at is not None:
        return max(now - a.started_at, 0.0)  # running: metered so far
    return 0.0


def attempt_line(a: Attempt, job_name: str, now: float) -> BillLine:
    return make_line(
        job_id=a.job_id,
        job_name=job_name,
        attempt=a.number,
        center=a.center,
        resources=a.resources.describe(),
        state=a.state.value,
        started_at=a.started_at,
        ended_at=a.ended_at,
        wall_seconds=_elapsed(a, now),
        price_per_hour=a.price_per_hour,
        reason=a.reason,
    )


def attempt_out(a: Attempt, line: BillLine) -> AttemptOut:
    return AttemptOut(
        id=a.id,
        number=a.number,
        center=a.center,
        node=a.node,
        nodes=list(a.nodes),
        state=a.state,
        resources=a.resources.to_dict(),
        price_per_hour=a.price_per_hour,
        assigned_at=a.assigned_at,
        started_at=a.started_at,
        ended_at=a.ended_at,
        wall_seconds=a.wall_seconds,
        exit_code=a.exit_code,
        reason=a.reason,
        backend_id=a.backend_id,
        cost=float(line.cost),
        billed=line.billed,
    )


def job_out(job: Job, now: float, charged: Decimal | None = None) -> JobOut:
    lines = [attempt_line(a, job.spec.name, now) for a in job.attempts]
    bill = Bill.of(lines)
    return JobOut(
        id=job.id,
        name=job.spec.name,
        state=job.state,
        center=job.center,
        reason=job.reason,
        reason_code=job.reason_code.value if job.reason_code else None,
        estimated_start=job.estimated_start,
        exclusions=[
            ExclusionOut(center=e.center, code=e.code.value, detail=e.detail)
            for e in job.exclusions
        ],
        submitted_at=job.submitted_at,
        ended_at=job.ended_at,
        exit_code=job.exit_code,
        cancel_requested=job.cancel_requested,
        attempts=[attempt_out(a, line) for a, line in zip(job.attempts, lines, strict=True)],
        wall_seconds=bill.wall_seconds,
        cost=float(bill.total),
        charged=None if charged is None else float(charged),
        currency=CURRENCY,
        spec=job.spec.to_dict(),
    )


def center_out(s: CenterStatus, now: float) -> CenterOut:
    c = s.center
    capacity = c.capacity  # an elastic center: one of each listed node, always free to add
    free: Resources = capacity if c.elastic else capacity - s.used
    if s.reported_free is not None:  # the cluster's own view counts outside work too
        theirs = Resources.total(s.reported_free)
        free = Resources(
            min(free.cpus, theirs.cpus),
            min(free.memory_gb, theirs.memory_gb),
            {k: min(v, theirs.accelerators.get(k, 0)) for k, v in free.accelerators.items()},
        )
    return CenterOut(
        name=c.name,
        hub=c.hub,
        region=c.region,
        role=c.role,
        backend=c.backend,
        emulated=c.emulated,
        health=c.health.value,
        health_reason=s.health_reason,
        last_heartbeat=s.last_heartbeat,
        seconds_since_heartbeat=round(max(now - s.last_heartbeat, 0.0), 3),
        nodes=c.node_count,
        elastic=c.elastic,
        pools=[_pool_out(p) for p in c.pools],
        capacity=capacity.to_dict(),
        used=s.used.to_dict(),
        free=free.to_dict(),
        running_jobs=s.running_jobs,
        prices=c.prices.to_dict(),
    )


def _pool_out(p: NodePool) -> dict[str, Any]:
    priced = {} if p.price is None else {"price": p.price, "spot_price": p.spot_price}
    return {"name": p.name, "count": p.count, **p.shape.to_dict(), **priced}


def bill_out(bill: Bill) -> BillOut:
    return BillOut(
        currency=bill.currency,
        lines=[
            BillLineOut(
                job_id=x.job_id,
                job_name=x.job_name,
                attempt=x.attempt,
                center=x.center,
                resources=x.resources,
                state=x.state,
                started_at=x.started_at,
                ended_at=x.ended_at,
                wall_seconds=x.wall_seconds,
                price_per_hour=x.price_per_hour,
                cost=float(x.cost),
                billed=x.billed,
            )
            for x in bill.lines
        ],
        by_center={k: float(v) for k, v in bill.by_center.items()},
        total=float(bill.total),
        wall_seconds=bill.wall_seconds,
    )
