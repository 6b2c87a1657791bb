"""Quotes with ids (their prices held until they expire) and orders: a job with a quote and a
budget. Consumers and operators place orders; everyone signed in may ask for a quote."""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, HTTPException
from pydantic import BaseModel, Field

from c2net.gateway.auth import Caller, require
from c2net.gateway.routes.money import GW, PEOPLE, Fen
from c2net.gateway.schemas import ExclusionOut, JobOut, StrictIn
from c2net.gateway.views import job_out
from c2net.market.quote import quote
from c2net.market.usage import Terms, quantize, usage_lines
from c2net.model import Role, parse_spec
from c2net.store import Conflict, NotFound
from c2net.store.ledger import QUOTE_TTL_SECONDS

__all__ = ["router", "split_budget"]

router = APIRouter(prefix="/v1", tags=["orders"])

MAX_BUDGET = Decimal(10**12)
MAX_QUOTE_HOURS = 24 * 366 * 10.0  # estimates look ten years ahead at most


class PeriodOut(BaseModel):
    period: str
    seconds: Decimal
    price_per_hour: Decimal
    cost: Decimal


class QuotedOfferOut(BaseModel):
    center: str
    hub: str
    region: str
    role: str
    price_per_hour: Decimal = Field(description="now, for the whole job")
    estimated_hours: float
    estimated_cost: Decimal = Field(description="time-of-use periods crossed included")
    available_now: bool
    estimated_start: float | None = Field(description="None: busy, cannot tell")
    periods: list[PeriodOut]


class QuotedOut(BaseModel):
    quote_id: str
    created_at: float
    valid_until: float
    valid_seconds: float
    currency: str
    runtime_hours: float
    spot: bool
    budget: Decimal | None
    offers: list[QuotedOfferOut]
    excluded: list[ExclusionOut]
    message: str
    warnings: list[str]


class OrderIn(StrictIn):
    spec: dict[str, Any]
    quote: str | None = Field(
        default=None, max_length=40, description="a quote id: its price is held"
    )
    budget: Fen | None = Field(default=None, description="a cap on the job's total cost")


def split_budget(spec: Mapping[str, Any]) -> tuple[dict[str, Any], Decimal | None]:
    """A spec without its `budget` (the market keeps it with the job), and the budget."""
    data = dict(spec)
    raw = data.pop("budget", None)
    if raw is None:
        return data, None
    try:
        budget = Decimal(str(raw))
    except ArithmeticError:
        raise HTTPException(422, f"budget: expected an amount, got {raw!r}") from None
    if not budget.is_finite() or budget <= 0 or budget > MAX_BUDGET:
        raise HTTPException(422, f"budget: must be an amount > 0 and <= {MAX_BUDGET}, got {raw!r}")
    return data, quantize(budget, Decimal("0.01"))


# ---------------------------------------------------------------------------- quotes, orders


@router.post("/quotes", status_code=201, response_model=QuotedOut)
def create_quote(
    gw: GW, who: Caller, body: Annotated[dict[str, Any], Body(description="a job spec")]
) -> QuotedOut:
    """The offers for a spec with a quote id: `POST /v1/orders` with it before `valid_until`
    holds the quoted price (or today's, when lower)."""
    require(who, *PEOPLE)
    spec_data, budget = split_budget(body)
    spec = parse_spec(spec_data)
    now = gw.clock.now()
    snapshot, _ = gw.store.snapshot(now)
    q = quote(spec, snapshot)
    offers: list[QuotedOfferOut] = []
    stored: list[dict[str, Any]] = []
    for o in q.offers:
        tariff = gw.store.tariff(o.center)
        price = quantize(Decimal(str(o.price_per_hour)))
        base = quantize(price / tariff.multiplier_at(now), Decimal("0.0000000001"))
        hours = o.estimated_cost / o.price_per_hour if o.price_per_hour > 0 else spec.runtime_hours
        hours = min(hours, MAX_QUOTE_HOURS) if math.isfinite(hours) else MAX_QUOTE_HOURS
        lines = usage_lines(Terms(base, tariff), now, hours * 3600.0)
        offers.append(
            QuotedOfferOut(
                center=o.center,
                hub=o.hub,
                region=o.region,
                role=o.role,
                price_per_hour=price,
                estimated_hours=round(hours, 6),
                estimated_cost=sum((x.cost for x in lines), Decimal("0.000000")),
                available_now=o.available_now,
                estimated_start=now if o.available_now else None,
                periods=[
                    PeriodOut(
                        period=x.period,
                        seconds=x.seconds,
                        price_per_hour=x.price_per_hour,
                        cost=x.cost,
                    )
                    for x in lines
                ],
            )
        )
        stored.append(
            {
                "center": o.center,
                "price_per_hour": str(price),
                "base_hourly": str(base),
                "tariff": tariff.to_dict(),
            }
        )
    rec = gw.store.save_quote(who.account_id, spec_data, stored, now)
    warnings = [
        f"{o.center}: the estimate {o.estimated_cost} exceeds the budget {budget}"
        for o in offers
        if budget is not None and o.estimated_cost > budget
    ]
    return QuotedOut(
        quote_id=rec.id,
        created_at=rec.created_at,
        valid_until=rec.expires_at,
        valid_seconds=QUOTE_TTL_SECONDS,
        currency="CNY",
        runtime_hours=spec.runtime_hours,
        spot=bool(getattr(spec, "spot", False)),
        budget=budget,
        offers=offers,
        excluded=[
            ExclusionOut(center=e.center, code=e.code.value, detail=e.detail) for e in q.excluded
        ],
        message=q.message,
        warnings=warnings,
    )


@router.post("/orders", status_code=201, response_model=JobOut)
def order(
    gw: GW,
    who: Caller,
    body: OrderIn,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> JobOut:
    """Submit a job with market terms: a quote id (its price is held if the job is placed
    before the quote expires) and a budget (the job is stopped before it costs more)."""
    require(who, Role.CONSUMER, Role.OPERATOR)
    spec_data, spec_budget = split_budget(body.spec)
    budget = body.budget if body.budget is not None else spec_budget
    spec = parse_spec(spec_data)
    now = gw.clock.now()
    if body.quote:
        rec = gw.store.quote_record(body.quote)
        if rec.account_id != who.account_id:
            raise NotFound(f"quote {body.quote} not found")
        if rec.expires_at < now:
            raise Conflict(
                f"quote {body.quote} expired {now - rec.expires_at:.0f}s ago; ask for a new one"
            )
    job = gw.store.submit_order(
        spec,
        now,
        idempotency_key,
        account_id=who.account_id,
        user_id=who.user_id,
        budget=budget,
        quote_id=body.quote,
    )
    gw.loop.wake()
    return job_out(job, now)
