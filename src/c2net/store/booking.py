"""Booking an attempt's charges inside a caller's transaction: the egress of its inputs when it
is placed, its usage metered while it runs, and its settlement when it ends.

Every function takes an open Connection, so an attempt's end and its settlement commit together
(c2net.store.attempts.end_attempt calls settle_attempt), and so do a placement and its egress.
The rules (what the entries are) live in c2net.market.ledger, c2net.market.usage and
c2net.market.egress; the ledger's rows in c2net.store.books.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, RowMapping

from c2net.market.egress import EgressLine, egress_entries, egress_lines, egress_price
from c2net.market.ledger import Book, TxnKind, billable, cap_charge, usage_entries
from c2net.market.tariff import parse_tariff
from c2net.market.usage import FEN, MICRO, Terms, UsageLine, usage_lines
from c2net.model import JobState
from c2net.scheduler import Dataset
from c2net.store.books import (
    CHARGES,
    budget_of,
    charged_so_far,
    credit_limit_of,
    dec,
    entries_of,
    is_consumer,
    live_charges,
    post,
    reverse_txn,
    settings_of,
    tariffs_of,
    wallet,
)
from c2net.store.schema import attempt_terms, attempts, centers, datasets, jobs

__all__ = [
    "book_egress",
    "meter_attempt",
    "settle_attempt",
    "terms_of",
]


def terms_of(conn: Connection, attempt: RowMapping) -> tuple[Terms, int | None, int | None]:
    """(terms, consumer account, provider account) of an attempt. Attempts placed before the
    market knew them are billed at their flat price per hour."""
    row = (
        conn.execute(select(attempt_terms).where(attempt_terms.c.attempt_id == attempt["id"]))
        .mappings()
        .first()
    )
    if row is not None:
        terms = Terms(
            base_hourly=dec(row["base_hourly"]),
            tariff=parse_tariff(row["tariff"]),
            fee_rate=dec(row["fee_rate"]),
            shares={k: dec(v) for k, v in row["shares"].items()},
            spot=row["spot"],
            quote_id=row["quote_id"],
        )
        return terms, row["account_id"], row["provider_id"]
    consumer = conn.execute(
        select(jobs.c.account_id).where(jobs.c.id == attempt["job_id"])
    ).scalar_one_or_none()
    provider = conn.execute(
        select(centers.c.owner_account_id).where(centers.c.name == attempt["center"])
    ).scalar_one_or_none()
    terms = Terms(
        base_hourly=dec(attempt["price_per_hour"]),
        fee_rate=settings_of(conn).fee_rate,
        shares={"compute": Decimal(1)},
    )
    return terms, consumer, provider


def _limits(conn: Connection, consumer: int, job_id: int) -> list[Decimal]:
    """What the consumer can still be charged for this attempt: its funds (with brakes on)
    and its job's budget left, each rounded down to the fen."""
    out = []
    if settings_of(conn).brakes and is_consumer(conn, consumer):
        out.append(wallet(conn, consumer) + credit_limit_of(conn, consumer))
    budget = budget_of(conn, job_id)
    if budget is not None:
        out.append(budget - charged_so_far(conn, job_id))
    return [x.quantize(FEN, rounding=ROUND_DOWN) for x in out]


def _usage_detail(lines: Iterable[UsageLine]) -> list[dict[str, Any]]:
    return [
        {
            "period": x.period,
            "price_per_hour": str(x.price_per_hour),
            "seconds": str(x.seconds),
            "cost": str(x.cost),
        }
        for x in lines
    ]


def _egress_detail(lines: Iterable[EgressLine]) -> list[dict[str, Any]]:
    return [
        {
            "dataset": x.dataset,
            "source": x.source,
            "gb": str(x.gb),
            "price_per_gb": str(x.price_per_gb),
            "cost": str(x.cost),
        }
        for x in lines
    ]


def _inputs(spec: object) -> list[str]:
    raw = spec.get("inputs") if isinstance(spec, Mapping) else None
    if isinstance(raw, str):
        return [raw]
    return [x for x in raw or () if isinstance(x, str)]


def book_egress(
    conn: Connection,
    attempt_id: int,
    now: float,
    *,
    network_price: float,
) -> Decimal:
    """Charge, once, the data an attempt that just started received: per input held at another
    center, its GB x that center's egress price (its tariff's, else `network_price`), to the
    fen. Booked like usage (consumer debit = the sending provider's credit + the platform
    fee), capped like it; reversed if the attempt is lost. Returns the gross (0: none moves)."""
    row = conn.execute(select(attempts).where(attempts.c.id == attempt_id)).mappings().one()
    spec = conn.execute(select(jobs.c.spec).where(jobs.c.id == row["job_id"])).scalar_one()
    inputs = _inputs(spec)
    if not inputs or live_charges(conn, attempt_id, (TxnKind.EGRESS,)):
        return Decimal(0)
    held = {
        name: Dataset(center, float(gb))
        for name, center, gb in conn.execute(
            select(datasets.c.name, datasets.c.center, datasets.c.size_gb).where(
                datasets.c.name.in_(inputs)
            )
        )
    }
    tariffs = tariffs_of(conn)  # read only for attempts with inputs

    def price_of(source: str) -> Decimal:
        return egress_price(tariffs.get(source), network_price)

    lines = egress_lines(inputs, held, row["center"], price_of, FEN)
    gross = sum((x.cost for x in lines), Decimal("0.00"))
    terms, consumer, _ = terms_of(conn, row)
    if gross <= 0 or consumer is None:
        return Decimal(0)
    owners = conn.execute(
        select(centers.c.name, centers.c.owner_account_id).where(
            centers.c.name.in_({x.source for x in lines})
        )
    )
    charged, waived = cap_charge(gross, *_limits(conn, consumer, row["job_id"]))
    post(
        conn,
        now,
        TxnKind.EGRESS,
        egress_entries(
            consumer=consumer,
            lines=lines,
            providers={name: owner for name, owner in owners},
            charged=charged,
            fee_rate=terms.fee_rate,
        ),
        account_id=consumer,
        job_id=row["job_id"],
        attempt_id=attempt_id,
        memo=f"egress: inputs moved to attempt {row['number']} at {row['center']}",
        detail={"lines": _egress_detail(lines), "waived": str(waived)},
    )
    return gross


def settle_attempt(conn: Connection, attempt_id: int, now: float) -> None:
    """Settle an attempt that has just ended (called by end_attempt, in its transaction).

    The interim usage booked while it ran is reversed. A billable attempt is then charged once,
    line by line (each time-of-use period: price x seconds, to the fen); a LOST one is not,
    and the egress booked when it was placed is reversed too.
    """
    row = conn.execute(select(attempts).where(attempts.c.id == attempt_id)).mappings().one()
    terms, consumer, provider = terms_of(conn, row)
    ok = billable(row["state"], row["reason"] or "")
    memo = "settled: metered usage replaced by the final charge" if ok else "lost: not billed"
    for txn_id in live_charges(conn, attempt_id, CHARGES if ok else (*CHARGES, TxnKind.EGRESS)):
        reverse_txn(conn, txn_id, now, memo)
    if not ok or consumer is None or row["started_at"] is None:
        return
    lines = usage_lines(terms, row["started_at"], row["wall_seconds"] or 0.0, FEN)
    gross = sum((x.cost for x in lines), Decimal("0.00"))
    if gross <= 0:
        return
    charged, waived = cap_charge(gross, *_limits(conn, consumer, row["job_id"]))
    entries = usage_entries(
        consumer=consumer,
        provider=provider,
        center=row["center"],
        gross=gross,
        charged=charged,
        fee_rate=terms.fee_rate,
        shares=terms.shares,
        quantum=FEN,
    )
    post(
        conn,
        now,
        TxnKind.SETTLE,
        entries,
        account_id=consumer,
        job_id=row["job_id"],
        attempt_id=attempt_id,
        memo=f"attempt {row['number']} at {row['center']}, {row['state']}",
        detail={"lines": _usage_detail(lines), "waived": str(waived), "state": row["state"]},
    )


def meter_attempt(conn: Connection, row: RowMapping, now: float) -> bool:
    """Book a running attempt's usage since what was booked before (to the millionth). The
    attempt's row is locked and read again: one that ended meanwhile (settled, on another
    replica) is not booked."""
    fresh = (
        conn.execute(select(attempts).where(attempts.c.id == row["id"]).with_for_update())
        .mappings()
        .first()
    )
    if fresh is None or fresh["state"] != JobState.RUNNING.value:
        return False
    row = fresh
    terms, consumer, provider = terms_of(conn, row)
    if consumer is None or row["started_at"] is None:
        return False
    lines = usage_lines(terms, row["started_at"], now - row["started_at"], MICRO)
    total = sum((x.cost for x in lines), Decimal("0.000000"))
    live = live_charges(conn, row["id"])
    booked = sum(
        (
            e.amount
            for entries in entries_of(conn, live).values()
            for e in entries
            if e.book in (Book.REVENUE, Book.FEES)
        ),
        Decimal(0),
    )
    delta = total - booked
    if delta <= 0:
        return False
    charged, _ = cap_charge(delta, *_limits(conn, consumer, row["job_id"]))
    entries = usage_entries(
        consumer=consumer,
        provider=provider,
        center=row["center"],
        gross=delta,
        charged=charged,
        fee_rate=terms.fee_rate,
        shares=terms.shares,
    )
    post(
        conn,
        now,
        TxnKind.USAGE,
        entries,
        account_id=consumer,
        job_id=row["job_id"],
        attempt_id=row["id"],
        memo=f"metered attempt {row['number']} at {row['center']} to {now:.0f}",
    )
    return True
