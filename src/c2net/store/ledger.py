"""The market's repository, in layers: MoneyRepo (c2net.store.money: settings, money
movements, balances, statements), PlansRepo (c2net.store.plans: tariffs, quotes, orders),
MeteringRepo (c2net.store.metering: metering, brakes, events) and LedgerRepo here. The booking
itself: c2net.store.books (the ledger's rows) and c2net.store.booking (an attempt's charges).

LedgerRepo wraps the scheduling cycle: its snapshot shows each center's price now (time of use,
utilization) and leaves out the work its account cannot pay for; its commit fixes the price
terms each new attempt is billed by and books the egress of its inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from c2net.market.ledger import MarketSettings
from c2net.market.pricing import priced_snapshot
from c2net.market.tariff import Tariff, parse_tariff
from c2net.market.usage import quantize, resource_shares
from c2net.model import JobState, Placement, Plan, Prices
from c2net.scheduler import QueuedJob, Snapshot
from c2net.store.books import dec, settings_of, tariffs_of
from c2net.store.brakes import held_jobs
from c2net.store.metering import MeteringRepo
from c2net.store.records import (
    QUOTE_TTL_SECONDS,
    Balance,
    MarketEvent,
    MeterStats,
    QuoteRecord,
    Txn,
)
from c2net.store.schema import attempt_terms, centers, job_terms, jobs, quotes

__all__ = [
    "QUOTE_TTL_SECONDS",
    "Balance",
    "LedgerRepo",
    "MarketEvent",
    "MeterStats",
    "QuoteRecord",
    "Txn",
]

_BASE = Decimal("0.0000000001")


class LedgerRepo(MeteringRepo):
    """The market's hooks in the scheduling cycle."""

    def snapshot(self, now: float) -> tuple[Snapshot, list[QueuedJob]]:
        """The pool at its prices now, and the queue without the work that is held."""
        snap, queue = super().snapshot(now)
        with self._read() as conn:
            tariffs = tariffs_of(conn)
            held = held_jobs(conn, now, [q.id for q in queue])
        snap = priced_snapshot(snap, tariffs, now)
        if held:
            queue = [q for q in queue if q.id not in held]
            with self._lock, self.engine.begin() as conn:
                for job_id, message in held.items():
                    conn.execute(
                        update(jobs)
                        .where(
                            jobs.c.id == job_id,
                            jobs.c.state == JobState.PENDING.value,
                            jobs.c.reason != message,
                        )
                        .values(reason=message, detail=[])
                    )
        return snap, queue

    def commit(
        self,
        plan: Plan,
        now: float,
        *,
        fence: Callable[[Connection], bool] | None = None,
        on_placed: Callable[[Connection, Placement, int], None] | None = None,
    ) -> int:
        """Commit a plan, each placement at its price now (a valid quote's price when lower),
        recording the terms each new attempt is billed by, in the same transaction."""
        if not plan.placements:
            return super().commit(plan, now, fence=fence, on_placed=on_placed)
        with self._lock:
            with self._read() as conn:
                tariffs, settings = tariffs_of(conn), settings_of(conn)
                priced = [self._price(conn, p, now, tariffs, settings) for p in plan.placements]
            terms = {p.job_id: values for p, values in priced}

            def record(conn: Connection, p: Placement, attempt_id: int) -> None:
                conn.execute(
                    insert(attempt_terms).values(
                        attempt_id=attempt_id, job_id=p.job_id, **terms[p.job_id]
                    )
                )
                if on_placed is not None:
                    on_placed(conn, p, attempt_id)

            repriced = replace(plan, placements=tuple(p for p, _ in priced))
            return super().commit(repriced, now, fence=fence, on_placed=record)

    @staticmethod
    def _price(
        conn: Connection,
        p: Placement,
        now: float,
        tariffs: Mapping[str, Tariff],
        settings: MarketSettings,
    ) -> tuple[Placement, dict[str, Any]]:
        job = conn.execute(
            select(jobs.c.spec, jobs.c.account_id).where(jobs.c.id == p.job_id)
        ).first()
        spec: Mapping[str, Any] = job[0] if job is not None else {}
        center = conn.execute(
            select(centers.c.prices, centers.c.owner_account_id, centers.c.pools).where(
                centers.c.name == p.center
            )
        ).first()
        tariff = tariffs.get(p.center, Tariff())
        base = quantize(dec(p.price_per_hour) / tariff.multiplier_at(now), _BASE)
        quote_id = conn.execute(
            select(job_terms.c.quote_id).where(job_terms.c.job_id == p.job_id)
        ).scalar_one_or_none()
        held_by = None
        if quote_id:
            offer = _quoted_offer(conn, quote_id, job[1] if job else None, p.center, now)
            if offer is not None:  # the quoted rate card, when it is cheaper now
                quoted_base, quoted = dec(offer["base_hourly"]), parse_tariff(offer["tariff"])
                if quoted_base * quoted.multiplier_at(now) < base * tariff.multiplier_at(now):
                    base, tariff, held_by = quoted_base, quoted, quote_id
        price = quantize(base * tariff.multiplier_at(now))
        nodes = len(getattr(p, "all_nodes", (p.node,)))
        prices = _prices_of(center[0] if center else {})
        rented = any(
            q.get("name") == p.pool and q.get("price") is not None
            for q in (center[2] if center else None) or []
        )  # a whole node (a cloud VM): its revenue is reported under the instance type
        shares = {p.pool: Decimal(1)} if rented else resource_shares(prices, p.resources, nodes)
        values = {
            "account_id": job[1] if job else None,
            "provider_id": center[1] if center else None,
            "center": p.center,
            "base_hourly": str(base),
            "tariff": tariff.to_dict(),
            "fee_rate": str(settings.fee_rate),
            "shares": {k: str(v) for k, v in shares.items()},
            "spot": _is_spot(spec),
            "quote_id": held_by,
        }
        return replace(p, price_per_hour=float(price)), values


# ---------------------------------------------------------------------------- helpers


def _quoted_offer(
    conn: Connection, quote_id: str, account_id: int | None, center: str, now: float
) -> Mapping[str, Any] | None:
    row = conn.execute(select(quotes).where(quotes.c.id == quote_id)).mappings().first()
    if row is None or row["expires_at"] < now or row["account_id"] != account_id:
        return None
    for offer in row["offers"]:
        if offer.get("center") == center:
            found: Mapping[str, Any] = offer
            return found
    return None


def _prices_of(data: Mapping[str, Any]) -> Prices:
    return Prices(
        cpu_hour=float(data.get("cpu_hour", 0.0)),
        memory_gb_hour=float(data.get("memory_gb_hour", 0.0)),
        accelerator_hour={str(k): float(v) for k, v in (data.get("accelerators") or {}).items()},
        currency=str(data.get("currency", "CNY")),
    )


def _is_spot(spec: Mapping[str, Any]) -> bool:
    resources = spec.get("resources") or {}
    return bool(spec.get("spot") or (isinstance(resources, Mapping) and resources.get("use_spot")))
