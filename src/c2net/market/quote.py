"""Quotes: the ranked offers for a spec on the current pool, and why the rest are excluded."""

from __future__ import annotations

from dataclasses import dataclass

from c2net.model import Exclusion, JobSpec, Offer, ReasonCode
from c2net.scheduler import QueuedJob, Snapshot, explain, schedule

__all__ = ["Quote", "quote"]


@dataclass(frozen=True)
class Quote:
    offers: tuple[Offer, ...]  # available now first, then cheapest estimated cost
    excluded: tuple[Exclusion, ...]
    message: str  # empty when some center can take the job now


def quote(spec: JobSpec, snapshot: Snapshot, home: str = "") -> Quote:
    """Every center that could run the spec (busy ones flagged), ranked by estimated cost
    (price x the runtime estimated on that center's hardware, + data egress).

    When nothing can start now the message says why (busy, over max_price, no center can meet
    the deadline, ...): what `c2net submit` can tell the user at once.
    """
    job = QueuedJob(0, spec, snapshot.taken_at, home=home)
    rows = explain(snapshot, job)
    regions = {c.name: c.region for c in snapshot.centers}
    offers = sorted(
        (
            Offer(
                center=r.center,
                hub=r.hub,
                region=regions[r.center],
                role=r.role,
                price_per_hour=round(r.price_per_hour, 6),
                estimated_cost=round(r.estimated_cost, 6),
                available_now=r.available_now,
            )
            for r in rows
            if r.rank is not None
        ),
        key=lambda o: (not o.available_now, o.estimated_cost, o.center),
    )
    excluded = tuple(
        Exclusion(r.center, r.code, r.detail)
        for r in rows
        if r.code is not None and r.code is not ReasonCode.BUSY
    )
    message = ""
    if not any(o.available_now for o in offers):
        pending = schedule(snapshot, [job]).pending
        message = pending[0].message if pending else ""
    return Quote(tuple(offers), excluded, message)
