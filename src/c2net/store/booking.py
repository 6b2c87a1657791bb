"""Booking: the ledger's rows inside a caller's transaction. Money movements, an attempt's
usage metered while it runs and settled when it ends, stops and notices.

Every function takes an open Connection, so an attempt's end and its settlement commit together
(end_attempt calls settle_attempt). The rules (what the entries are) live in
c2net.market.ledger and c2net.market.usage; balances are sums of entries, never stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from c2net.market.ledger import (
    Book,
    Entry,
    MarketSettings,
    TxnKind,
    billable,
    cap_charge,
    is_balanced,
    reversal,
    usage_entries,
)
from c2net.market.tariff import Tariff, parse_tariff
from c2net.market.usage import FEN, MICRO, Terms, quantize, usage_lines, yuan_text
from c2net.model import ACTIVE, AccountKind, JobState
from c2net.store.schema import (
    accounts,
    attempt_terms,
    attempts,
    center_tariffs,
    centers,
    job_terms,
    jobs,
    ledger_entries,
    ledger_txns,
    logs,
    market_events,
    market_settings,
)

__all__ = [
    "add_event",
    "budget_of",
    "burn_per_account",
    "charged_so_far",
    "credit_limit_of",
    "dec",
    "entries_of",
    "from_micro",
    "is_consumer",
    "live_charges",
    "market_stop_reason",
    "meter_attempt",
    "post",
    "reverse_txn",
    "set_job_terms",
    "settings_of",
    "settle_attempt",
    "shortfall",
    "stop_job",
    "tariffs_of",
    "terms_of",
    "to_micro",
    "wallet",
]

_CHARGES = (TxnKind.USAGE.value, TxnKind.SETTLE.value)


# ---------------------------------------------------------------------------- conversions


def to_micro(amount: Decimal) -> int:
    return int(quantize(amount, MICRO).scaleb(6))


def from_micro(micro: int | None) -> Decimal:
    return quantize(Decimal(micro or 0).scaleb(-6), MICRO)


def dec(value: object) -> Decimal:
    return Decimal(str(value))


# ---------------------------------------------------------------------------- connection level


def settings_of(conn: Connection) -> MarketSettings:
    row = (
        conn.execute(select(market_settings).order_by(market_settings.c.id.desc()).limit(1))
        .mappings()
        .first()
    )
    if row is None:
        return MarketSettings()
    return MarketSettings(
        fee_rate=dec(row["fee_rate"]),
        alert_threshold=from_micro(row["alert_micro"]),
        grace_seconds=row["grace_seconds"],
        brakes=bool(row["brakes"]),
    )


def post(
    conn: Connection,
    now: float,
    kind: TxnKind,
    entries: Sequence[Entry],
    *,
    account_id: int | None = None,
    job_id: int | None = None,
    attempt_id: int | None = None,
    reverses: int | None = None,
    reference: str | None = None,
    memo: str = "",
    detail: Mapping[str, Any] | None = None,
    user_id: int | None = None,
) -> int:
    """Append one balanced transaction; refuses an unbalanced one."""
    if not is_balanced(entries):
        raise ValueError(f"unbalanced {kind} transaction: {entries}")
    result = conn.execute(
        insert(ledger_txns).values(
            at=now,
            kind=kind.value,
            account_id=account_id,
            job_id=job_id,
            attempt_id=attempt_id,
            reverses=reverses,
            reference=reference,
            memo=memo,
            detail=dict(detail or {}),
            user_id=user_id,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    txn_id = int(key[0])
    if entries:
        conn.execute(
            insert(ledger_entries),
            [
                {
                    "txn_id": txn_id,
                    "book": e.book.value,
                    "account_id": e.account_id,
                    "center": e.center,
                    "resource": e.resource,
                    "amount_micro": to_micro(e.amount),
                }
                for e in entries
            ],
        )
    return txn_id


def entries_of(conn: Connection, txn_ids: Sequence[int]) -> dict[int, list[Entry]]:
    out: dict[int, list[Entry]] = {t: [] for t in txn_ids}
    if not txn_ids:
        return out
    rows = conn.execute(
        select(ledger_entries)
        .where(ledger_entries.c.txn_id.in_(list(txn_ids)))
        .order_by(ledger_entries.c.id)
    ).mappings()
    for r in rows:
        out[r["txn_id"]].append(
            Entry(
                Book(r["book"]),
                from_micro(r["amount_micro"]),
                r["account_id"],
                r["center"],
                r["resource"],
            )
        )
    return out


def live_charges(conn: Connection, attempt_id: int) -> list[int]:
    """The attempt's usage and settlement transactions not reversed yet."""
    reversed_ids = select(ledger_txns.c.reverses).where(ledger_txns.c.reverses.is_not(None))
    return [
        r[0]
        for r in conn.execute(
            select(ledger_txns.c.id).where(
                ledger_txns.c.attempt_id == attempt_id,
                ledger_txns.c.kind.in_(_CHARGES),
                ledger_txns.c.id.not_in(reversed_ids),
            )
        )
    ]


def reverse_txn(conn: Connection, txn_id: int, now: float, memo: str) -> None:
    row = conn.execute(select(ledger_txns).where(ledger_txns.c.id == txn_id)).mappings().one()
    post(
        conn,
        now,
        TxnKind.REVERSAL,
        reversal(entries_of(conn, [txn_id])[txn_id]),
        account_id=row["account_id"],
        job_id=row["job_id"],
        attempt_id=row["attempt_id"],
        reverses=txn_id,
        memo=memo,
    )


def wallet(conn: Connection, account_id: int) -> Decimal:
    total = conn.execute(
        select(func.coalesce(func.sum(ledger_entries.c.amount_micro), 0)).where(
            ledger_entries.c.book == Book.WALLET.value, ledger_entries.c.account_id == account_id
        )
    ).scalar_one()
    return from_micro(int(total))


def credit_limit_of(conn: Connection, account_id: int) -> Decimal:
    limit = conn.execute(
        select(accounts.c.credit_limit).where(accounts.c.id == account_id)
    ).scalar_one_or_none()
    return quantize(dec(limit or 0.0), MICRO)


def charged_so_far(conn: Connection, job_id: int, *, except_attempt: int | None = None) -> Decimal:
    """What the job's consumer has been charged so far (live usage and settlements)."""
    reversed_ids = select(ledger_txns.c.reverses).where(ledger_txns.c.reverses.is_not(None))
    query = (
        select(func.coalesce(func.sum(ledger_entries.c.amount_micro), 0))
        .join(ledger_txns, ledger_txns.c.id == ledger_entries.c.txn_id)
        .where(
            ledger_txns.c.job_id == job_id,
            ledger_txns.c.kind.in_(_CHARGES),
            ledger_txns.c.id.not_in(reversed_ids),
            ledger_entries.c.book == Book.WALLET.value,
        )
    )
    if except_attempt is not None:
        query = query.where(ledger_txns.c.attempt_id != except_attempt)
    return -from_micro(int(conn.execute(query).scalar_one()))


def budget_of(conn: Connection, job_id: int) -> Decimal | None:
    """The job's budget: from its market terms, or a `budget` in its spec."""
    micro = conn.execute(
        select(job_terms.c.budget_micro).where(job_terms.c.job_id == job_id)
    ).scalar_one_or_none()
    if micro is not None:
        return from_micro(micro)
    spec = conn.execute(select(jobs.c.spec).where(jobs.c.id == job_id)).scalar_one_or_none()
    raw = spec.get("budget") if isinstance(spec, Mapping) else None
    return None if raw is None else quantize(dec(raw), MICRO)


def tariffs_of(conn: Connection) -> dict[str, Tariff]:
    rows = conn.execute(select(center_tariffs).order_by(center_tariffs.c.id)).mappings()
    return {r["center"]: parse_tariff(r["tariff"]) for r in rows}


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


def is_consumer(conn: Connection, account_id: int) -> bool:
    kind = conn.execute(
        select(accounts.c.kind).where(accounts.c.id == account_id)
    ).scalar_one_or_none()
    return kind == AccountKind.CONSUMER.value


def _line_detail(lines: Iterable[Any]) -> list[dict[str, Any]]:
    return [
        {
            "period": x.period,
            "price_per_hour": str(x.price_per_hour),
            "seconds": str(x.seconds),
            "cost": str(x.cost),
        }
        for x in lines
    ]


def settle_attempt(conn: Connection, attempt_id: int, now: float) -> None:
    """Settle an attempt that has just ended (called by end_attempt, in its transaction).

    The interim usage booked while it ran is reversed. A billable attempt is then charged once,
    line by line (each time-of-use period: price x seconds, to the fen); a LOST one is not.
    """
    row = conn.execute(select(attempts).where(attempts.c.id == attempt_id)).mappings().one()
    terms, consumer, provider = terms_of(conn, row)
    ok = billable(row["state"], row["reason"] or "")
    memo = "settled: metered usage replaced by the final charge" if ok else "lost: not billed"
    for txn_id in live_charges(conn, attempt_id):
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
        detail={"lines": _line_detail(lines), "waived": str(waived), "state": row["state"]},
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


def burn_per_account(conn: Connection, now: float) -> dict[int, Decimal]:
    """Per consumer account: the price per hour now of its running attempts (one query)."""
    rows = conn.execute(
        select(
            attempts.c.price_per_hour,
            jobs.c.account_id.label("job_account"),
            attempt_terms.c.account_id,
            attempt_terms.c.base_hourly,
            attempt_terms.c.tariff,
        )
        .join(jobs, jobs.c.id == attempts.c.job_id)
        .join(attempt_terms, attempt_terms.c.attempt_id == attempts.c.id, isouter=True)
        .where(attempts.c.state == JobState.RUNNING.value, attempts.c.started_at.is_not(None))
    ).mappings()
    out: dict[int, Decimal] = {}
    tariffs: dict[str, Tariff] = {}
    for r in rows:
        if r["base_hourly"] is None:  # placed before the market knew it: its flat price
            consumer, price = r["job_account"], dec(r["price_per_hour"])
        else:
            key = repr(sorted(r["tariff"].items()))
            tariff = tariffs.setdefault(key, parse_tariff(r["tariff"]))
            consumer, price = r["account_id"], Terms(dec(r["base_hourly"]), tariff).price_at(now)
        if consumer is not None:
            out[consumer] = out.get(consumer, Decimal(0)) + price
    return out


def shortfall(available: Decimal, burn: Decimal, currency: str = "CNY") -> str:
    """Why an account's work is held ("" when its funds cover the next minute)."""
    minute = quantize(burn / 60)
    if available > 0 and available >= minute:
        return ""
    return (
        f"held: funds {yuan_text(available, currency)} (balance + credit) cannot cover the next "
        f"minute of running jobs ({yuan_text(minute, currency)}); top up to resume"
    )
