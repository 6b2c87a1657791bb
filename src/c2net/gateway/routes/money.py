"""Money: balances, top-ups and refunds (operator or payment hook), the ledger, price plans and
the market's events (quotes and orders: routes/orders.py; statements: routes/statements.py).

Who sees what: consumers their own account's money; providers their own revenue and their
centers' price plans; operators everything. Agents none of it. Something a caller may not see
answers 404, as elsewhere, so ids reveal nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import asdict
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field, ValidationError

from c2net.gateway.auth import Caller, owned_centers, require
from c2net.gateway.deps import Gateway, gateway
from c2net.gateway.schemas import StrictIn
from c2net.market.ledger import MarketSettings, TxnKind
from c2net.market.tariff import parse_tariff
from c2net.model import AccountKind, Principal, Role
from c2net.store import NotFound
from c2net.store.ledger import Txn

__all__ = ["GW", "PEOPLE", "Fen", "account_id_for", "plain", "router"]

router = APIRouter(prefix="/v1", tags=["money"])

GW = Annotated[Gateway, Depends(gateway)]
PEOPLE = (Role.CONSUMER, Role.PROVIDER, Role.OPERATOR)
Fen = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
Amount = Annotated[Decimal, Field(ge=0, le=10**12)]
CenterName = Annotated[str, Path(min_length=1, max_length=128)]


# ---------------------------------------------------------------------------- bodies


class BalanceOut(BaseModel):
    account: str
    kind: AccountKind
    currency: str
    balance: Decimal
    credit_limit: Decimal
    available: Decimal
    alert_threshold: Decimal
    burn_per_hour: Decimal
    held: str
    short_since: float | None


class MoneyIn(StrictIn):
    account: str = Field(min_length=1, max_length=64)
    amount: Fen
    reference: str | None = Field(default=None, max_length=128)
    memo: str = Field(default="", max_length=500)


class EntryOut(BaseModel):
    book: str
    account_id: int | None
    center: str | None
    resource: str | None
    amount: Decimal


class TxnOut(BaseModel):
    id: int
    at: float
    kind: str
    account_id: int | None
    job_id: int | None
    attempt_id: int | None
    reverses: int | None
    reference: str | None
    memo: str
    entries: list[EntryOut]


class AlertIn(StrictIn):
    threshold: Amount | None = Field(description="None: the network's default")
    account: str | None = Field(default=None, max_length=64)


class SettingsModel(BaseModel):
    fee_rate: Decimal = Field(ge=0, lt=1)
    alert_threshold: Decimal = Field(ge=0)
    grace_seconds: float = Field(ge=0)
    brakes: bool


class SettingsIn(StrictIn):
    fee_rate: Decimal | None = Field(default=None, ge=0, lt=1, max_digits=12)
    alert_threshold: Amount | None = None
    grace_seconds: float | None = Field(default=None, ge=0, le=10**7)
    brakes: bool | None = None


class EventOut(BaseModel):
    id: int
    at: float
    account_id: int | None
    job_id: int | None
    kind: str
    message: str


class PaymentIn(StrictIn):
    account: str = Field(min_length=1, max_length=64)
    amount: Fen
    reference: str = Field(min_length=1, max_length=128)


# ---------------------------------------------------------------------------- helpers


def plain(value: Any) -> Any:
    """Statement data as JSON: amounts as exact decimal strings."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def account_id_for(gw: Gateway, who: Principal, name: str | None) -> int:
    """The account a request is about: the caller's own unless an operator names another."""
    if name is None or name == who.account:
        return who.account_id
    acct = gw.store.account(name)
    if not who.is_operator:
        raise NotFound(f"account {name} not found")
    return acct.id


def _txn_out(t: Txn, viewer: int | None = None) -> TxnOut:
    """A transaction as `viewer` (an account; None: an operator) may see it: only the
    entries in its own books, and no other account's id."""
    entries = [e for e in t.entries if viewer is None or e.account_id == viewer]
    return TxnOut(
        id=t.id,
        at=t.at,
        kind=t.kind.value,
        account_id=t.account_id if viewer is None or t.account_id == viewer else None,
        job_id=t.job_id,
        attempt_id=t.attempt_id,
        reverses=t.reverses,
        reference=t.reference,
        memo=t.memo,
        entries=[
            EntryOut(
                book=e.book.value,
                account_id=e.account_id,
                center=e.center,
                resource=e.resource,
                amount=e.amount,
            )
            for e in entries
        ],
    )


def _settings_out(s: MarketSettings) -> SettingsModel:
    return SettingsModel(
        fee_rate=s.fee_rate,
        alert_threshold=s.alert_threshold,
        grace_seconds=s.grace_seconds,
        brakes=s.brakes,
    )


def _center_for(gw: Gateway, who: Principal, center: str, *, write: bool) -> None:
    owners = gw.store.center_owners()
    if center not in owners:
        raise NotFound(f"center {center} is not registered")
    if who.role is Role.PROVIDER and center not in owned_centers(gw, who):
        raise NotFound(f"center {center} is not registered")
    if write:
        require(who, Role.PROVIDER, Role.OPERATOR)


# ---------------------------------------------------------------------------- balances, money


@router.get("/balance", response_model=BalanceOut)
def balance(
    gw: GW, who: Caller, account: Annotated[str | None, Query(max_length=64)] = None
) -> BalanceOut:
    require(who, *PEOPLE)
    b = gw.store.balance(account_id_for(gw, who, account), gw.clock.now())
    data = asdict(b)
    data.pop("account_id")
    return BalanceOut(**data)


@router.put("/balance/alert", response_model=BalanceOut)
def set_alert(gw: GW, who: Caller, body: AlertIn) -> BalanceOut:
    """The account's low-balance alert threshold (an event when funds drop below it)."""
    require(who, Role.CONSUMER, Role.OPERATOR)
    account_id = account_id_for(gw, who, body.account)
    gw.store.set_alert_threshold(account_id, body.threshold)
    data = asdict(gw.store.balance(account_id, gw.clock.now()))
    data.pop("account_id")
    return BalanceOut(**data)


def _money(gw: Gateway, who: Principal, kind: TxnKind, body: MoneyIn) -> TxnOut:
    require(who, Role.OPERATOR)
    acct = gw.store.account(body.account)
    t = gw.store.post_money(
        kind,
        acct.id,
        body.amount,
        gw.clock.now(),
        reference=body.reference,
        memo=body.memo,
        user_id=who.user_id,
    )
    gw.loop.wake()  # held work may go now
    return _txn_out(t)


@router.post("/topups", status_code=201, response_model=TxnOut)
def topup(gw: GW, who: Caller, body: MoneyIn) -> TxnOut:
    """Money paid into a consumer's account (operators; payment systems use the hook)."""
    return _money(gw, who, TxnKind.TOPUP, body)


@router.post("/refunds", status_code=201, response_model=TxnOut)
def refund(gw: GW, who: Caller, body: MoneyIn) -> TxnOut:
    """Money paid back from a consumer's balance (operators)."""
    return _money(gw, who, TxnKind.REFUND, body)


@router.post("/payouts", status_code=201, response_model=TxnOut)
def payout(gw: GW, who: Caller, body: MoneyIn) -> TxnOut:
    """Money paid to a provider from what the network owes it (operators)."""
    return _money(gw, who, TxnKind.PAYOUT, body)


@router.post("/payments/notify", status_code=201, response_model=TxnOut)
async def payment_notify(
    gw: GW,
    request: Request,
    signature: Annotated[str, Header(alias="X-C2net-Signature")] = "",
) -> TxnOut:
    """A payment system's notification that a consumer paid: booked once per `reference`.
    Signed: `X-C2net-Signature: sha256=<hex HMAC-SHA256 of the body with the shared secret>`
    (the gateway's `payment_secret`)."""
    secret: str | None = getattr(request.app.state, "payment_secret", None)
    if not secret:
        raise HTTPException(404, "payment notifications are not enabled on this gateway")
    raw = await request.body()
    expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise HTTPException(401, "bad or missing X-C2net-Signature")
    try:
        body = PaymentIn.model_validate_json(raw)
    except ValidationError as exc:
        raise HTTPException(422, str(exc)) from None
    acct = gw.store.account(body.account)
    t = gw.store.post_money(
        TxnKind.TOPUP,
        acct.id,
        body.amount,
        gw.clock.now(),
        reference=body.reference,
        memo="payment notification",
    )
    gw.loop.wake()
    return _txn_out(t)


@router.get("/ledger", response_model=list[TxnOut])
def ledger(
    gw: GW,
    who: Caller,
    account: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100000)] = 1000,
) -> list[TxnOut]:
    """Transactions, oldest first: operators see all (or one account's), others their own."""
    require(who, *PEOPLE)
    if who.is_operator and account is None:
        txns = gw.store.transactions(limit=limit)
    else:
        txns = gw.store.transactions(account_id=account_id_for(gw, who, account), limit=limit)
    viewer = None if who.is_operator else who.account_id
    return [_txn_out(t, viewer) for t in txns]


# ---------------------------------------------------------------------------- settings, tariffs


@router.get("/market/settings", response_model=SettingsModel)
def get_settings(gw: GW, who: Caller) -> SettingsModel:
    require(who, *PEOPLE)
    return _settings_out(gw.store.market_settings())


@router.put("/market/settings", response_model=SettingsModel)
def put_settings(gw: GW, who: Caller, body: SettingsIn) -> SettingsModel:
    """The platform's fee rate (applies to attempts placed from now on), the default alert
    threshold, and the brakes (prepaid: hold and stop what an account cannot pay for)."""
    require(who, Role.OPERATOR)
    changes = {k: v for k, v in body.model_dump().items() if v is not None}
    return _settings_out(gw.store.set_market_settings(gw.clock.now(), **changes))


@router.get("/centers/{center}/tariff")
def get_tariff(gw: GW, who: Caller, center: CenterName) -> dict[str, Any]:
    require(who, *PEOPLE)
    _center_for(gw, who, center, write=False)
    return gw.store.tariff(center).to_dict()


@router.put("/centers/{center}/tariff")
def put_tariff(
    gw: GW,
    who: Caller,
    center: CenterName,
    body: Annotated[dict[str, Any], Body(description="a tariff, as in a center file")],
) -> dict[str, Any]:
    """A new price plan for the center: it applies to placements from now on; running
    attempts keep theirs."""
    require(who, *PEOPLE)
    _center_for(gw, who, center, write=True)
    try:
        tariff = parse_tariff(body)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    gw.store.set_tariff(center, tariff, gw.clock.now())
    return tariff.to_dict()


# ---------------------------------------------------------------------------- events


@router.get("/events", response_model=list[EventOut])
def events(
    gw: GW,
    who: Caller,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> list[EventOut]:
    """The market's notices (low balance, held, stopped, budget, top-ups), oldest first:
    operators see all, others their own account's."""
    require(who, *PEOPLE)
    found = gw.store.events(
        account_id=None if who.is_operator else who.account_id, after=after, limit=limit
    )
    return [EventOut(**asdict(e)) for e in found]
