"""Statements from the ledger: a consumer's monthly bill (lines per job, attempt and
time-of-use period that add up to the total), a provider's settlement (revenue per center and
resource type, fees, payouts) and the operator's summary. Pure: built from transactions.

Months are calendar months in the network's time zone (Asia/Shanghai).
"""

from __future__ import annotations

import csv
import html
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from c2net.market.ledger import Book, Entry, TxnKind
from c2net.market.usage import yuan_text

__all__ = [
    "BILLING_TIMEZONE",
    "AttemptLabel",
    "Bill",
    "BillLine",
    "CenterRevenue",
    "OperatorSummary",
    "Settlement",
    "bill_csv",
    "consumer_bill",
    "invoice_html",
    "month_bounds",
    "month_of",
    "operator_summary",
    "provider_settlement",
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
    lines; other kinds explain an adjustment."""

    job_id: int
    job_name: str
    attempt: int
    center: str
    state: str
    kind: str  # usage | waived | earlier | running | lost
    period: str
    price_per_hour: Decimal | None
    seconds: Decimal | None
    amount: Decimal
    note: str = ""


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

    settle = next((t for t in txns if t.kind is TxnKind.SETTLE), None)
    if settle is None:
        lost = any(t.kind is TxnKind.REVERSAL and t.memo.startswith("lost") for t in txns)
        if lost:
            return [line("lost", charged, "lost by the center or the platform: not billed")]
        return [line("running", charged, "metered so far while it runs")] if charged else []
    out = [
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
    rest = charged - sum((x.amount for x in out), Decimal(0))
    if rest:
        out.append(line("earlier", rest, "metered while it ran, billed in an earlier month"))
    return out


def bill_csv(bill: Bill) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(
        ["job", "name", "attempt", "center", "state", "kind", "period", "price_per_hour",
         "seconds", "amount", "note"]
    )  # fmt: skip
    for x in bill.lines:
        w.writerow(
            [x.job_id, x.job_name, x.attempt, x.center, x.state, x.kind, x.period,
             "" if x.price_per_hour is None else x.price_per_hour,
             "" if x.seconds is None else x.seconds, x.amount, x.note]
        )  # fmt: skip
    w.writerow(["total", "", "", "", "", "", "", "", "", bill.total, bill.currency])
    return out.getvalue()


def invoice_html(bill: Bill, number: str, issued: str) -> str:
    """A self-contained HTML invoice for the month's bill."""
    e = html.escape
    rows = "\n".join(
        f"<tr><td>{x.job_id}</td><td>{e(x.job_name)}</td><td>{x.attempt}</td>"
        f"<td>{e(x.center)}</td><td>{e(x.period or x.kind)}</td>"
        f"<td class=n>{'' if x.price_per_hour is None else x.price_per_hour}</td>"
        f"<td class=n>{'' if x.seconds is None else x.seconds}</td>"
        f"<td class=n>{e(yuan_text(x.amount, bill.currency))}</td><td>{e(x.note)}</td></tr>"
        for x in bill.lines
    )

    def money(amount: Decimal) -> str:
        return e(yuan_text(amount, bill.currency))

    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Invoice {e(number)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left}}.n{{text-align:right}}
</style></head><body>
<h1>Invoice {e(number)}</h1>
<p>c2net computing power network &middot; account <b>{e(bill.account)}</b> &middot;
period {e(bill.month)} &middot; issued {e(issued)} &middot; currency {e(bill.currency)}</p>
<table><thead><tr><th>Job</th><th>Name</th><th>Try</th><th>Center</th><th>Period</th>
<th class=n>Price/h</th><th class=n>Seconds</th><th class=n>Amount</th><th>Note</th></tr></thead>
<tbody>
{rows}
</tbody></table>
<p><b>Total due for {e(bill.month)}: {money(bill.total)}</b></p>
<p>Opening balance {money(bill.opening)} &middot; payments {money(bill.payments)} &middot;
refunds {money(bill.refunds)} &middot; usage {money(bill.total)} &middot;
closing balance {money(bill.closing)}</p>
</body></html>
"""


@dataclass(frozen=True)
class CenterRevenue:
    center: str
    gross: Decimal  # what consumers paid for compute there (fee included)
    fee: Decimal
    net: Decimal  # the provider's share: gross - fee
    by_resource: Mapping[str, Decimal] = field(default_factory=dict)  # net, per resource type


@dataclass(frozen=True)
class Settlement:
    account: str
    month: str
    currency: str
    centers: tuple[CenterRevenue, ...]
    paid_out: Decimal  # payouts made in the month
    owed: Decimal  # what the network owes the provider at the end of the month

    @property
    def gross(self) -> Decimal:
        return sum((c.gross for c in self.centers), ZERO)

    @property
    def fees(self) -> Decimal:
        return sum((c.fee for c in self.centers), ZERO)

    @property
    def net(self) -> Decimal:
        return sum((c.net for c in self.centers), ZERO)


def provider_settlement(
    *,
    account_id: int,
    account: str,
    month: str,
    txns: Iterable[TxnLike],
    opening: Decimal,
    currency: str = "CNY",
) -> Settlement:
    """Revenue per center and resource type, the platform's fees on it, payouts and what is
    owed. A usage transaction belongs to the provider whose revenue entries it has."""
    net: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    fees: dict[str, Decimal] = defaultdict(Decimal)
    paid = Decimal(0)
    month_net = Decimal(0)
    for t in txns:
        mine = [e for e in t.entries if e.book is Book.REVENUE and e.account_id == account_id]
        month_net += sum((e.amount for e in mine), Decimal(0))
        if t.kind is TxnKind.PAYOUT:
            paid -= sum((e.amount for e in mine), Decimal(0))
            continue
        if not mine:
            continue
        for e in mine:
            net[e.center or "?"][e.resource or "compute"] += e.amount
        for e in t.entries:
            if e.book is Book.FEES:
                fees[e.center or "?"] += e.amount
    rows = tuple(
        CenterRevenue(
            center=c,
            gross=sum(net[c].values(), Decimal(0)) + fees.get(c, Decimal(0)),
            fee=fees.get(c, Decimal(0)),
            net=sum(net[c].values(), Decimal(0)),
            by_resource=dict(sorted(net[c].items())),
        )
        for c in sorted(set(net) | set(fees))
    )
    return Settlement(account, month, currency, rows, paid, opening + month_net)


@dataclass(frozen=True)
class OperatorSummary:
    month: str
    currency: str
    charged: Decimal  # usage charged to consumers
    waived: Decimal  # usage the platform absorbed (loss)
    provider_revenue: Decimal  # the providers' share
    fee_income: Decimal
    topups: Decimal
    refunds: Decimal
    payouts: Decimal
    outstanding: Mapping[str, Decimal]  # consumers' negative balances (owed to the network)
    payable: Mapping[str, Decimal]  # owed to providers


def operator_summary(
    *,
    month: str,
    txns: Iterable[TxnLike],
    balances: Mapping[tuple[Book, int | None], Decimal],
    names: Mapping[int, str],
    currency: str = "CNY",
) -> OperatorSummary:
    """The month's revenue, fee income and losses, and the balances outstanding at its end
    (`balances`: each book's balance then)."""
    sums: dict[tuple[TxnKind, Book], Decimal] = defaultdict(Decimal)
    usage: dict[Book, Decimal] = defaultdict(Decimal)
    for t in txns:
        for e in t.entries:
            sums[(t.kind, e.book)] += e.amount
            if t.kind in (TxnKind.USAGE, TxnKind.SETTLE, TxnKind.REVERSAL):
                usage[e.book] += e.amount
    outstanding = {
        names.get(a, str(a)): -v
        for (book, a), v in balances.items()
        if book is Book.WALLET and a is not None and v < 0
    }
    payable = {
        names.get(a, str(a)) if a is not None else "(no owner)": v
        for (book, a), v in balances.items()
        if book is Book.REVENUE and v > 0
    }
    return OperatorSummary(
        month=month,
        currency=currency,
        charged=-usage[Book.WALLET],
        waived=-usage[Book.LOSS],
        provider_revenue=usage[Book.REVENUE],
        fee_income=usage[Book.FEES],
        topups=sums[(TxnKind.TOPUP, Book.WALLET)],
        refunds=-sums[(TxnKind.REFUND, Book.WALLET)],
        payouts=-sums[(TxnKind.PAYOUT, Book.REVENUE)],
        outstanding=dict(sorted(outstanding.items())),
        payable=dict(sorted(payable.items())),
    )
