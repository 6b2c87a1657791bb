"""Quotes: the ranked offers for a spec on the current pool, and why the rest are excluded."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from c2net.model import Exclusion, JobSpec, Offer, ReasonCode
from c2net.scheduler import Arrays, Snapshot, evaluate
from c2net.scheduler.reasons import describe_pending, exclusions

__all__ = ["Quote", "quote"]


@dataclass(frozen=True)
class Quote:
    offers: tuple[Offer, ...]  # cheapest estimated cost first
    excluded: tuple[Exclusion, ...]
    message: str  # empty when some center can take the job now


def quote(spec: JobSpec, snapshot: Snapshot) -> Quote:
    """Every center that could run the spec (busy ones flagged), ranked by estimated cost."""
    arrays = Arrays.build(snapshot, extra_types=spec.resources.accelerators)
    ev = evaluate(spec, snapshot.centers, arrays)
    offers = []
    for ci, center in enumerate(snapshot.centers):
        if ev.codes[ci] in (None, ReasonCode.BUSY):
            hourly = float(ev.price_per_hour[ci])
            offers.append(
                Offer(
                    center=center.name,
                    hub=center.hub,
                    region=center.region,
                    role=center.role,
                    price_per_hour=round(hourly, 6),
                    estimated_cost=round(hourly * spec.runtime_hours, 6),
                    available_now=ev.codes[ci] is None,
                )
            )
    offers.sort(key=lambda o: (not o.available_now, o.estimated_cost, o.center))
    blocked = [c if c is not ReasonCode.BUSY else None for c in ev.codes]
    excluded = exclusions(spec, arrays.names, blocked, ev.price_per_hour)
    message = ""
    if not any(o.available_now for o in offers):
        all_excl = exclusions(spec, arrays.names, ev.codes, ev.price_per_hour)
        message = describe_pending(spec, all_excl, np.asarray(ev.price_per_hour), arrays.names)
    return Quote(tuple(offers), excluded, message)
