"""The ledger's books inside a caller's transaction: posting balanced transactions, reading
their entries back, reversing them, and the sums the market decides on (a wallet, a job's
charges, its budget, the operator's settings and the centers' tariffs).

Every function takes an open Connection. The rules (what the entries are) live in
c2net.market.ledger; balances are sums of entries, never stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from c2net.market.ledger import Book, Entry, MarketSettings, TxnKind, is_balanced, reversal
from c2net.market.tariff import Tariff, parse_tariff
from c2net.market.usage import MICRO, quantize
from c2net.model import AccountKind
from c2net.store.schema import (
    accounts,
    center_tariffs,
    job_terms,
    jobs,
    ledger_entries,
    ledger_txns,
    market_settings,
)

__all__ = [
    "CHARGES",
    "budget_of",
    "charged_so_far",
    "credit_limit_of",
    "dec",
    "entries_of",
    "from_micro",
    "is_consumer",
    "live_charges",
    "post",
    "reverse_txn",
    "settings_of",
    "tariffs_of",
    "to_micro",
    "wallet",
]

# an attempt's charges while it runs and once it has ended (settlement reverses USAGE)
CHARGES = (TxnKind.USAGE, TxnKind.SETTLE)
# what a job has cost its consumer: its attempts' usage and the data moved to them
_JOB_CHARGES = (TxnKind.USAGE.value, TxnKind.SETTLE.value, TxnKind.EGRESS.value)


# ---------------------------------------------------------------------------- conversions


def to_micro(amount: Decimal) -> int:
    return int(quantize(amount, MICRO).scaleb(6))


def from_micro(micro: int | None) -> Decimal:
    return quantize(Decimal(micro or 0).scaleb(-6), MICRO)


def dec(value: object) -> Decimal:
    return Decimal(str(value))


# ---------------------------------------------------------------------------- transactions


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


def live_charges(
    conn: Connection, attempt_id: int, kinds: Sequence[TxnKind] = CHARGES
) -> list[int]:
    """The attempt's transactions of these kinds not reversed yet."""
    reversed_ids = select(ledger_txns.c.reverses).where(ledger_txns.c.reverses.is_not(None))
    return [
        r[0]
        for r in conn.execute(
            select(ledger_txns.c.id).where(
                ledger_txns.c.attempt_id == attempt_id,
                ledger_txns.c.kind.in_([k.value for k in kinds]),
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


# ---------------------------------------------------------------------------- sums and terms


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


def is_consumer(conn: Connection, account_id: int) -> bool:
    kind = conn.execute(
        select(accounts.c.kind).where(accounts.c.id == account_id)
    ).scalar_one_or_none()
    return kind == AccountKind.CONSUMER.value


def charged_so_far(conn: Connection, job_id: int, *, except_attempt: int | None = None) -> Decimal:
    """What the job's consumer has been charged so far (live usage, settlements, egress)."""
    reversed_ids = select(ledger_txns.c.reverses).where(ledger_txns.c.reverses.is_not(None))
    query = (
        select(func.coalesce(func.sum(ledger_entries.c.amount_micro), 0))
        .join(ledger_txns, ledger_txns.c.id == ledger_entries.c.txn_id)
        .where(
            ledger_txns.c.job_id == job_id,
            ledger_txns.c.kind.in_(_JOB_CHARGES),
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


def tariffs_of(conn: Connection) -> dict[str, Tariff]:
    rows = conn.execute(select(center_tariffs).order_by(center_tariffs.c.id)).mappings()
    return {r["center"]: parse_tariff(r["tariff"]) for r in rows}
