"""Statements: a consumer's bill, a provider's settlement, the operator's summary, per month."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query

from c2net.gateway.auth import Caller, require
from c2net.gateway.deps import Gateway
from c2net.gateway.routes.money import GW, account_id_for, plain
from c2net.market.statements import month_of
from c2net.model import Role

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["statements"])

MONTH = r"^\d{4}-\d{2}$"


# ---------------------------------------------------------------------------- statements


def _month(gw: Gateway, month: str | None) -> str:
    return month or month_of(gw.clock.now())


@router.get("/statements/bill")
def bill_statement(
    gw: GW,
    who: Caller,
    month: Annotated[str | None, Query(pattern=MONTH)] = None,
    account: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """A consumer's bill for a month: per job, attempt and time-of-use period, each line
    price x seconds, adding up to the total."""
    require(who, Role.CONSUMER, Role.OPERATOR)
    b = gw.store.bill(account_id_for(gw, who, account), _month(gw, month))
    return dict(plain(asdict(b) | {"total": b.total}))


@router.get("/statements/settlement")
def settlement_statement(
    gw: GW,
    who: Caller,
    month: Annotated[str | None, Query(pattern=MONTH)] = None,
    account: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """A provider's settlement for a month: revenue per center and resource type, the
    platform's fees, the net payable, payouts made and what is owed."""
    require(who, Role.PROVIDER, Role.OPERATOR)
    account_id = account_id_for(gw, who, account)
    s = gw.store.settlement(account_id, _month(gw, month))
    return dict(plain(asdict(s) | {"gross": s.gross, "fees": s.fees, "net": s.net}))


@router.get("/statements/operator")
def operator_statement(
    gw: GW, who: Caller, month: Annotated[str | None, Query(pattern=MONTH)] = None
) -> dict[str, Any]:
    """The network's month: usage charged and waived, providers' revenue, fee income,
    money in and out, and balances outstanding at its end."""
    require(who, Role.OPERATOR)
    return dict(plain(asdict(gw.store.operator_summary(_month(gw, month)))))
