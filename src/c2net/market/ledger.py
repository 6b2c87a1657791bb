"""The double-entry ledger's rules: every movement of money is a transaction whose entries add
up to zero. Pure: the store keeps the entries, these functions say what they are.

Books (each entry names one, and the account it belongs to when it has one):

- `wallet`  a consumer's prepaid balance (top-ups in, usage out; may go down to minus the
            account's credit limit, never below);
- `revenue` what the network owes a provider for compute sold at its centers (and data sent
            out of them: egress);
- `fees`    the platform's fee income (the operator's fee rate x usage);
- `loss`    usage the platform absorbs: what a consumer could not be charged (past its credit
            or its job's budget during the brakes' grace period); the provider is paid anyway;
- `cash`    the world outside: payments received (top-ups), refunds and payouts paid.

So usage is `wallet -x (- loss) = revenue + fees`: the consumer's debit equals the provider's
credit plus the platform fee. Entries are never changed or deleted; a correction is a new
transaction that reverses an earlier one entry by entry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from c2net.market.usage import MICRO, quantize

__all__ = [
    "Book",
    "Entry",
    "MarketSettings",
    "TxnKind",
    "balances",
    "billable",
    "cap_charge",
    "is_balanced",
    "money_entries",
    "reversal",
    "split",
    "usage_entries",
]


@dataclass(frozen=True)
class MarketSettings:
    """What the operator sets: the platform's fee rate, the default low-balance alert, and the
    brakes (prepaid: hold and stop work an account cannot pay for, after `grace_seconds`).
    Without brakes the network is postpaid: usage is billed in full, balances may go negative
    and show as outstanding."""

    fee_rate: Decimal = Decimal("0.10")
    alert_threshold: Decimal = Decimal("10")
    grace_seconds: float = 60.0
    brakes: bool = False


class Book(StrEnum):
    WALLET = "wallet"
    REVENUE = "revenue"
    FEES = "fees"
    LOSS = "loss"
    CASH = "cash"


class TxnKind(StrEnum):
    TOPUP = "topup"  # money paid in (operator or payment hook)
    REFUND = "refund"  # money paid back to a consumer
    PAYOUT = "payout"  # money paid to a provider
    USAGE = "usage"  # a running attempt metered so far (interim, to the millionth)
    SETTLE = "settle"  # an ended attempt's final charge (to the fen)
    EGRESS = "egress"  # an attempt's input data moved from other centers (to the fen)
    REVERSAL = "reversal"  # undoes one earlier transaction, entry by entry


@dataclass(frozen=True)
class Entry:
    book: Book
    amount: Decimal  # signed; a transaction's entries add up to zero
    account_id: int | None = None
    center: str | None = None
    resource: str | None = None  # cpu, memory, an accelerator type (revenue entries)


def is_balanced(entries: Iterable[Entry]) -> bool:
    return sum((e.amount for e in entries), Decimal(0)) == 0


def reversal(entries: Iterable[Entry]) -> list[Entry]:
    """The entries that undo `entries`."""
    return [replace(e, amount=-e.amount) for e in entries]


def money_entries(kind: TxnKind, account_id: int, amount: Decimal) -> list[Entry]:
    """Top-up (cash in, wallet up), refund (wallet down, cash out) or payout (a provider's
    revenue down, cash out). `amount` > 0."""
    if amount <= 0:
        raise ValueError(f"{kind} amount must be > 0, got {amount}")
    if kind is TxnKind.TOPUP:
        return [Entry(Book.WALLET, amount, account_id), Entry(Book.CASH, -amount)]
    if kind is TxnKind.REFUND:
        return [Entry(Book.WALLET, -amount, account_id), Entry(Book.CASH, amount)]
    if kind is TxnKind.PAYOUT:
        return [Entry(Book.REVENUE, -amount, account_id), Entry(Book.CASH, amount)]
    raise ValueError(f"{kind} is not a money movement")


def split(amount: Decimal, weights: Mapping[str, Decimal], quantum: Decimal) -> dict[str, Decimal]:
    """Split `amount` (a multiple of `quantum`) by `weights`, exactly: each part rounded down
    to the quantum, the remainder handed out a quantum at a time, largest fractions first."""
    total = sum(weights.values(), Decimal(0))
    keys = sorted(weights)
    if not keys:
        return {}
    if total <= 0:
        weights, total = {k: Decimal(1) for k in keys}, Decimal(len(keys))
    exact = {k: amount * weights[k] / total for k in keys}
    parts = {k: exact[k].quantize(quantum, rounding=ROUND_DOWN) for k in keys}
    left = amount - sum(parts.values(), Decimal(0))
    step = quantum if left >= 0 else -quantum
    order = sorted(keys, key=lambda k: (-(abs(exact[k] - parts[k])), k))
    i = 0
    while left != 0:
        parts[order[i % len(order)]] += step
        left -= step
        i += 1
    return parts


def cap_charge(gross: Decimal, *limits: Decimal) -> tuple[Decimal, Decimal]:
    """(charged, waived): the consumer is charged `gross` but never more than any limit (what
    its balance and credit can still cover, what its job's budget has left); the rest is
    waived to the platform's loss book."""
    charged = gross
    for limit in limits:
        charged = min(charged, max(limit, Decimal(0)))
    return charged, gross - charged


def usage_entries(
    *,
    consumer: int,
    provider: int | None,
    center: str,
    gross: Decimal,
    charged: Decimal,
    fee_rate: Decimal,
    shares: Mapping[str, Decimal],
    quantum: Decimal = MICRO,
) -> list[Entry]:
    """An attempt's usage worth `gross`: the consumer pays `charged` (the rest is the
    platform's loss), the platform keeps `fee_rate` x gross, the provider the remainder,
    reported per resource type by `shares`."""
    fee = quantize(gross * fee_rate, quantum)
    entries = [Entry(Book.WALLET, -charged, consumer, center)]
    if gross != charged:
        entries.append(Entry(Book.LOSS, charged - gross, None, center))
    for resource, part in split(gross - fee, shares, quantum).items():
        entries.append(Entry(Book.REVENUE, part, provider, center, resource))
    entries.append(Entry(Book.FEES, fee, None, center))
    return [e for e in entries if e.amount != 0]


def balances(entries: Iterable[Entry]) -> dict[tuple[Book, int | None], Decimal]:
    """Replay: each (book, account)'s balance, from the entries alone."""
    out: dict[tuple[Book, int | None], Decimal] = defaultdict(Decimal)
    for e in entries:
        out[(e.book, e.account_id)] += e.amount
    return dict(out)


def billable(state: str, reason: str) -> bool:
    """Is an attempt that ended in `state` billed? Everything the consumer received is, except
    an attempt LOST by its center or the platform (a lease that ran out, a center gone):
    that is the network's risk. A spot attempt preempted is the consumer's risk, checkpoint or
    not: it is billed for the time it ran, whatever state it ended in."""
    if reason.lower().startswith("preempted"):
        return True
    return state != "LOST"
