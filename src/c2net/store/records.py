"""What the market's repositories return: transactions, balances, quotes, events."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from c2net.market.ledger import Entry, TxnKind
from c2net.model import AccountKind

__all__ = ["QUOTE_TTL_SECONDS", "Balance", "MarketEvent", "MeterStats", "QuoteRecord", "Txn"]

QUOTE_TTL_SECONDS = 15 * 60.0


# ---------------------------------------------------------------------------- value types


@dataclass(frozen=True)
class Txn:
    id: int
    at: float
    kind: TxnKind
    account_id: int | None
    job_id: int | None
    attempt_id: int | None
    reverses: int | None
    reference: str | None
    memo: str
    detail: dict[str, Any]
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Balance:
    account_id: int
    account: str
    kind: AccountKind
    currency: str
    balance: Decimal  # the wallet (consumers) or what the network owes (providers)
    credit_limit: Decimal
    available: Decimal  # balance + credit
    alert_threshold: Decimal
    burn_per_hour: Decimal  # its running attempts' prices now
    held: str  # why its new jobs are held ("" when they are not)
    short_since: float | None


@dataclass(frozen=True)
class QuoteRecord:
    id: str
    account_id: int | None
    created_at: float
    expires_at: float
    spec: dict[str, Any]
    offers: list[dict[str, Any]]


@dataclass(frozen=True)
class MarketEvent:
    id: int
    at: float
    account_id: int | None
    job_id: int | None
    kind: str
    message: str


@dataclass(frozen=True)
class MeterStats:
    metered: int  # running attempts booked
    stopped: tuple[int, ...]  # jobs stopped (budget, funds)
    events: int
