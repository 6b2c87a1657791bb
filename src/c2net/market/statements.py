"""A consumer's monthly bill from the ledger: one line per job, attempt and time-of-use period
(price x seconds), per dataset moved to it (egress: GB x price per GB), and the adjustments,
adding up to the total. Pure: built from transactions. Settlements: c2net.market.settlement;
the bill as CSV and HTML: c2net.market.invoice.

Months are calendar months in the network's time zone (Asia/Shanghai).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from c2net.market.ledger import Book, Entry, TxnKind

__all__ = [
    "BILLING_TIMEZONE",
    "ZERO",
    "AttemptLabel",
    "Bill",
    "BillLine",
    "TxnLike",
    "consumer_bill",
    "month_bounds",
    "month_of",
]

BILLING_TIMEZONE = "Asia/Shanghai"
ZERO = Decimal("0.00")


class TxnLike(Protocol):
    @property
    def kind(self) -> TxnKind: ...
    @property
    def attempt_id(self) -> int | None: ...
    @property
    def account_id(self) -> int | None: ...
    @property
    def memo(self) -> str: ...
    @property
    def detail(self) -> dict[str, Any]: ...
    @property
    def entries(self) -> tuple[Entry, ...]: ...


def month_bounds(month: str) -> tuple[float, float]:
    """'2025-03' -> [start, end) in seconds since the epoch, in the network's time zone."""
    try:
        year, mon = (int(x) for x in month.split("-"))
        start = datetime(year, mon, 1, tzinfo=ZoneInfo(BILLING_TIMEZONE))
    except ValueError:
        raise ValueError(f"month: expected YYYY-MM, got {month!r}") from None
    end = start.replace(year=year + (mon == 12), month=1 if mon == 12 else mon + 1)
    return start.timestamp(), end.timestamp()


def month_of(ts: float) -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(BILLING_TIMEZONE)).strftime("%Y-%m")


@dataclass(frozen=True)
class AttemptLabel:
    job_id: int
    job_name: str
    number: int
    center: str
    state: str


@dataclass(frozen=True)
class BillLine:
    """One line of a bill: `amount` = price_per_hour x seconds / 3600 (to the fen) for usage
    lines, gb x price_per_gb (to the fen) for egress lines; other kinds explain an
    adjustment."""

    job_id: int
    job_name: str
    attempt: int
    center: str
    state: str
    kind: str  # usage | egress | waived | earlier | running | lost
    period: str
    price_per_hour: Decimal | None
    seconds: Decimal | None
    amount: Decimal
    note: str = ""
    gb: Decimal | None = None  # egress: the data moved
    price_per_gb: Decimal | None = None


@dataclass(frozen=True)
class Bill:
    account: str
    month: str
    currency: str
    lines: tuple[BillLine, ...]
    opening: Decimal  # wallet at the start of the month
    payments: Decimal  # top-ups in the month
    refunds: Decimal
    closing: Decimal  # wallet at the end of the month (or now)

    @property
    def total(self) -> Decimal:
        return sum((x.amount for x in self.lines), ZERO)


def _wallet_net(txns: Iterable[TxnLike], account_id: int) -> Decimal:
    return sum(
        (
            e.amount
            for t in txns
            for e in t.entries
            if e.book is Book.WALLET and e.account_id == account_id
        ),
        Decimal(0),
    )


def consumer_bill(
    *,
    account_id: int,
    account: str,
    month: str,
    txns: Iterable[TxnLike],
    opening: Decimal,
    labels: Mapping[int, AttemptLabel],
    currency: str = "CNY",
) -> Bill:
    """The month's bill from its transactions: per attempt, the settled usage line by line
    (or what was metered while it runs, or nothing for a lost attempt)."""
    txns = list(txns)
    by_attempt: dict[int, list[TxnLike]] = defaultdict(list)
    payments = refunds = Decimal(0)
    for t in txns:
        if t.kind is TxnKind.TOPUP and t.account_id == account_id:
            payments += _wallet_net([t], account_id)
        elif t.kind is TxnKind.REFUND and t.account_id == account_id:
            refunds -= _wallet_net([t], account_id)
        elif t.attempt_id is not None and t.account_id == account_id:
            by_attempt[t.attempt_id].append(t)
    lines: list[BillLine] = []
    for attempt_id in sorted(by_attempt):
        lines += _attempt_lines(by_attempt[attempt_id], account_id, labels.get(attempt_id))
    closing = opening + _wallet_net(txns, account_id)
    return Bill(account, month, currency, tuple(lines), opening, payments, refunds, closing)


def _attempt_lines(
    txns: list[TxnLike], account_id: int, label: AttemptLabel | None
) -> list[BillLine]:
    lab = label or AttemptLabel(0, "?", 0, "?", "?")
    charged = -_wallet_net(txns, account_id)

    def line(kind: str, amount: Decimal, note: str = "", **kw: Any) -> BillLine:
        values: dict[str, Any] = {"period": "", "price_per_hour": None, "seconds": None} | kw
        return BillLine(
            lab.job_id, lab.job_name, lab.number, lab.center, lab.state, kind,
            amount=amount, note=note, **values,
        )  # fmt: skip

    if any(t.kind is TxnKind.REVERSAL and t.memo.startswith("lost") for t in txns):
        return [line("lost", charged, "lost by the center or the platform: not billed")]
    out: list[BillLine] = []
    settle = next((t for t in txns if t.kind is TxnKind.SETTLE), None)
    if settle is not None:
        out += [
            line(
                "usage",
                Decimal(x["cost"]),
                period=x["period"],
                price_per_hour=Decimal(x["price_per_hour"]),
                seconds=Decimal(x["seconds"]),
            )
            for x in settle.detail.get("lines", [])
        ]
        waived = Decimal(settle.detail.get("waived", "0"))
        if waived:
            out.append(line("waived", -waived, "past the job's budget or the account's credit"))
    for t in txns:
        if t.kind is not TxnKind.EGRESS:
            continue
        out += [
            line(
                "egress",
                Decimal(x["cost"]),
                f"{x['dataset']} from {x['source']}",
                gb=Decimal(x["gb"]),
                price_per_gb=Decimal(x["price_per_gb"]),
            )
            for x in t.detail.get("lines", [])
        ]
        waived = Decimal(t.detail.get("waived", "0"))
        if waived:
            out.append(line("waived", -waived, "egress past the job's budget or the credit"))
    rest = charged - sum((x.amount for x in out), Decimal(0))
    if rest and settle is None:
        out.append(line("running", rest, "metered so far while it runs"))
    elif rest:
        out.append(line("earlier", rest, "metered while it ran, billed in an earlier month"))
    return out
