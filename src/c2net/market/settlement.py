"""Settlements from the ledger: a provider's month (revenue per center and resource type, the
platform's fees, payouts and what is owed) and the operator's summary of the network's month.
Pure: built from transactions (see c2net.market.statements for a consumer's bill)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from c2net.market.ledger import Book, TxnKind
from c2net.market.statements import ZERO, TxnLike

__all__ = [
    "CenterRevenue",
    "OperatorSummary",
    "Settlement",
    "operator_summary",
    "provider_settlement",
]

# what consumers are charged for: usage metered and settled (and reversed), data moved
_USAGE_KINDS = (TxnKind.USAGE, TxnKind.SETTLE, TxnKind.EGRESS, TxnKind.REVERSAL)


@dataclass(frozen=True)
class CenterRevenue:
    center: str
    gross: Decimal  # what consumers paid for compute there and data sent out (fee included)
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
            if t.kind in _USAGE_KINDS:
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
