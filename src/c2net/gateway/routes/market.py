"""Quotes, centers and the bill."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from c2net.gateway.auth import Caller, owned_centers, require
from c2net.gateway.deps import Gateway, gateway
from c2net.gateway.schemas import BillOut, CenterOut, ExclusionOut, OfferOut, QuoteOut
from c2net.gateway.views import attempt_line, bill_out, center_out
from c2net.market import Bill, quote
from c2net.model import Role, parse_spec

router = APIRouter(prefix="/v1", tags=["market"])

GW = Annotated[Gateway, Depends(gateway)]


@router.post("/quote", response_model=QuoteOut)
def make_quote(
    gw: GW, who: Caller, spec: Annotated[dict[str, Any], Body(description="a job spec")]
) -> QuoteOut:
    del who  # any signed-in caller may ask for a quote
    parsed = parse_spec(spec)
    snapshot, _ = gw.store.snapshot(gw.clock.now())
    q = quote(parsed, snapshot)
    return QuoteOut(
        runtime_hours=parsed.runtime_hours,
        offers=[OfferOut(**o.__dict__) for o in q.offers],
        excluded=[
            ExclusionOut(center=e.center, code=e.code.value, detail=e.detail) for e in q.excluded
        ],
        message=q.message,
    )


@router.get("/centers", response_model=list[CenterOut])
def centers(gw: GW, who: Caller) -> list[CenterOut]:
    now = gw.clock.now()
    return [
        center_out(s, now) for s in gw.store.centers(now) if who.sees_center(s.owner_account_id)
    ]


@router.get("/bill", response_model=BillOut)
def bill(gw: GW, who: Caller) -> BillOut:
    """Consumers: their account's usage. Providers: what ran at their centers. Operators: all."""
    now = gw.clock.now()
    if who.role is Role.CONSUMER:
        rows = gw.store.all_attempts(account_id=who.account_id)
    elif who.role is Role.PROVIDER:
        rows = gw.store.all_attempts(at_centers=owned_centers(gw, who))
    else:
        require(who, Role.OPERATOR)
        rows = gw.store.all_attempts()
    lines = [attempt_line(a, name, now) for a, name in rows]
    return bill_out(Bill.of(lines))
