"""Quotes: the ranked offers for a spec on the current pool, and why the other centers are
excluded. Each offer names its center, hub and hardware, its price per hour now, the estimated
cost of the runtime (cut into the time-of-use periods it crosses, plus the egress of input data
held elsewhere), its estimated start and its carbon. Pure: the pool, its prices and the tariffs
are passed in."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from c2net.market.egress import EgressLine, egress_lines, egress_price
from c2net.market.tariff import Tariff
from c2net.market.usage import FEN, Terms, UsageLine, quantize, usage_lines
from c2net.model import Exclusion, JobSpec, ReasonCode
from c2net.scheduler import ExplainRow, QueuedJob, Snapshot, explain, schedule
from c2net.scheduler.candidates import CandidateBatch, Context
from c2net.scheduler.classes import Option, group
from c2net.scheduler.pools import PoolTable

__all__ = ["MAX_QUOTE_HOURS", "Quote", "QuotedOffer", "quote"]

MAX_QUOTE_HOURS = 24 * 366 * 10.0  # estimates look ten years ahead at most
_BASE = Decimal("0.0000000001")
_ZERO = Decimal("0.000000")


@dataclass(frozen=True)
class QuotedOffer:
    """One center that can run the job, on the hardware the scheduler would pick there."""

    center: str
    hub: str
    region: str
    role: str
    pool: str  # the node pool (hardware flavor)
    accelerator: str  # the device type ("" for none)
    count: int  # devices per node
    nodes: int
    price_per_hour: Decimal  # now, for the whole job
    base_hourly: Decimal  # the price before time of use (what a quote holds)
    runtime_hours: float  # estimated on this hardware
    periods: tuple[UsageLine, ...]  # the runtime from now, per time-of-use period crossed
    egress: tuple[EgressLine, ...]  # the inputs moved here from the centers that hold them
    available_now: bool  # False when every node that could hold it is busy
    estimated_start: float | None  # now when it can start now; None: busy, cannot tell
    carbon_kg: float  # (device + host power) x runtime x the center's PUE x its grid intensity

    @property
    def compute_cost(self) -> Decimal:
        return sum((p.cost for p in self.periods), _ZERO)

    @property
    def egress_cost(self) -> Decimal:
        return sum((e.cost for e in self.egress), _ZERO)

    @property
    def estimated_cost(self) -> Decimal:
        return self.compute_cost + self.egress_cost


@dataclass(frozen=True)
class Quote:
    offers: tuple[QuotedOffer, ...]  # available now first, then cheapest estimated cost
    excluded: tuple[Exclusion, ...]
    message: str  # empty when some center can take the job now
    estimated_start: float | None = None  # nothing free now: when the scheduler expects it


def quote(
    spec: JobSpec,
    snapshot: Snapshot,
    *,
    tariffs: Mapping[str, Tariff] | None = None,
    now: float | None = None,
    home: str = "",
) -> Quote:
    """Every center that could run the spec (busy ones flagged), ranked by estimated cost.

    `snapshot` carries the prices now (`market.pricing.priced_snapshot`); `tariffs` the
    centers' price plans, whose time-of-use bands cut the runtime into periods and whose
    egress prices (else the network's) price the inputs moved. When nothing can start now the
    message says why (busy, over max_price, no center can meet the deadline, ...): what
    `c2net submit` can tell the user at once.
    """
    at = snapshot.taken_at if now is None else now
    plans = tariffs or {}
    job = QueuedJob(0, spec, at, home=home)
    rows = explain(snapshot, job, now=at)
    hardware = _hardware(snapshot, job, rows, at)
    regions = {c.name: c.region for c in snapshot.centers}

    def price_of(source: str) -> Decimal:
        return egress_price(plans.get(source), snapshot.network.egress_per_gb)

    offers = []
    for r in rows:
        if r.rank is None:
            continue
        option, grams = hardware[r.center]
        tariff = plans.get(r.center) or Tariff()
        price = quantize(Decimal(str(r.price_per_hour)))
        base = quantize(price / tariff.multiplier_at(at), _BASE)
        hours = option.hours if math.isfinite(option.hours) else MAX_QUOTE_HOURS
        hours = min(hours, MAX_QUOTE_HOURS)
        offers.append(
            QuotedOffer(
                center=r.center,
                hub=r.hub,
                region=regions[r.center],
                role=r.role,
                pool=r.pool,
                accelerator=r.accelerator,
                count=option.count,
                nodes=spec.num_nodes,
                price_per_hour=price,
                base_hourly=base,
                runtime_hours=round(hours, 6),
                periods=tuple(usage_lines(Terms(base, tariff), at, hours * 3600.0)),
                egress=tuple(egress_lines(spec.inputs, snapshot.datasets, r.center, price_of, FEN)),
                available_now=r.available_now,
                estimated_start=at if r.available_now else None,
                carbon_kg=round(grams / 1000.0, 6),
            )
        )
    offers.sort(key=lambda o: (not o.available_now, o.estimated_cost, o.center))
    excluded = tuple(
        Exclusion(r.center, r.code, r.detail)
        for r in rows
        if r.code is not None and r.code is not ReasonCode.BUSY
    )
    message, start = "", None
    if not any(o.available_now for o in offers):
        pending = schedule(snapshot, [job]).pending
        if pending:
            message, start = pending[0].message, pending[0].estimated_start
    return Quote(tuple(offers), excluded, message, start)


def _hardware(
    snapshot: Snapshot, job: QueuedJob, rows: tuple[ExplainRow, ...], now: float
) -> dict[str, tuple[Option, float]]:
    """Per center explain ranked: the option (device type and count) of its best candidate
    and that candidate's grams of CO2, from the scheduler's own carbon objective
    (`CandidateBatch.carbon_g`: device TDP + host power, x runtime x PUE x grid intensity)."""
    classes, _ = group([job], snapshot.catalogue)
    options = classes[0].options
    table = PoolTable.build(snapshot, {o.accelerator for o in options if o.accelerator})
    batch = CandidateBatch(Context(snapshot, table, now), classes)
    out: dict[str, tuple[Option, float]] = {}
    for r in rows:
        if r.rank is None:
            continue
        ci = table.names.index(r.center)
        pools = [
            p
            for p, name in enumerate(table.pool_name)
            if int(table.pool_center[p]) == ci and name == r.pool
        ]
        # the candidate explain reported: same device type, price and hours (equal: the same
        # arrays computed the same way; the nearest, should they ever differ)
        k, p = min(
            ((k, p) for p in pools for k in range(len(options))),
            key=lambda kp: (
                (options[kp[0]].accelerator or "") != r.accelerator,
                abs(float(batch.price[kp]) - r.price_per_hour),
                abs(float(batch.finish_hours[kp]) - r.estimated_hours),
            ),
        )
        out[r.center] = (options[k], float(batch.carbon_g[k, p]))
    return out
