"""Quotes, centers and the bill.

`POST /v1/quotes` is the quote: the ranked offers for a job spec with a quote id whose prices
`POST /v1/orders` holds until it expires. `POST /v1/quote` is its deprecated alias (the same
body, status 200), kept for clients written before quotes had ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Response
from pydantic import BaseModel, Field

from c2net.gateway.auth import Caller, owned_centers, require
from c2net.gateway.deps import Gateway
from c2net.gateway.routes.money import GW, PEOPLE
from c2net.gateway.schemas import BillOut, CenterOut, ExclusionOut
from c2net.gateway.views import attempt_line, bill_out, center_out
from c2net.market import Bill, QuotedOffer, quote
from c2net.market.catalog import CloudOffer
from c2net.market.tariff import Tariff
from c2net.market.usage import quantize
from c2net.model import Principal, Role, parse_spec
from c2net.store.records import QUOTE_TTL_SECONDS

__all__ = ["router", "split_budget"]

router = APIRouter(prefix="/v1", tags=["market"])

MAX_BUDGET = Decimal(10**12)
SpecBody = Annotated[dict[str, Any], Body(description="a job spec (`budget`: a cap on its cost)")]


class PeriodOut(BaseModel):
    period: str
    seconds: Decimal
    price_per_hour: Decimal
    cost: Decimal


class EgressOut(BaseModel):
    dataset: str
    source: str = Field(description="the center that holds it and sends it")
    gb: Decimal
    price_per_gb: Decimal
    cost: Decimal


class QuotedOfferOut(BaseModel):
    center: str
    hub: str
    region: str
    role: str
    pool: str = Field(description="the node pool (hardware flavor)")
    accelerator: str | None
    accelerator_count: int = Field(description="devices per node")
    nodes: int
    price_per_hour: Decimal = Field(description="now, for the whole job")
    estimated_hours: float = Field(description="the runtime estimated on this hardware")
    estimated_cost: Decimal = Field(description="compute (periods crossed) + egress")
    compute_cost: Decimal
    egress_cost: Decimal
    available_now: bool
    estimated_start: float | None = Field(description="None: busy, cannot tell")
    carbon_kg: float = Field(
        description="kg CO2: device + host power x runtime x the center's PUE x its hub's grid"
    )
    periods: list[PeriodOut]
    egress: list[EgressOut]


class CloudOfferOut(BaseModel):
    """A cloud's list price from its catalogue, beside the network's offers: to compare, not
    to order (the network places work on centers that joined it)."""

    cloud: str
    region: str
    instance_type: str
    accelerator: str | None
    accelerator_count: int = Field(description="devices per instance")
    price_per_hour: float = Field(description="for the whole job, in the quote's currency")
    estimated_hours: float
    estimated_cost: float


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
    estimated_start: float | None = Field(
        description="when no center can start it now: when the scheduler expects it to"
    )
    warnings: list[str]
    clouds: list[CloudOfferOut] = Field(
        default_factory=list,
        description="the cheapest catalogue offers of the clouds the gateway lists (if any)",
    )


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


def _offer_out(o: QuotedOffer) -> QuotedOfferOut:
    return QuotedOfferOut(
        center=o.center,
        hub=o.hub,
        region=o.region,
        role=o.role,
        pool=o.pool,
        accelerator=o.accelerator or None,
        accelerator_count=o.count,
        nodes=o.nodes,
        price_per_hour=o.price_per_hour,
        estimated_hours=o.runtime_hours,
        estimated_cost=o.estimated_cost,
        compute_cost=o.compute_cost,
        egress_cost=o.egress_cost,
        available_now=o.available_now,
        estimated_start=o.estimated_start,
        carbon_kg=o.carbon_kg,
        periods=[PeriodOut.model_validate(x, from_attributes=True) for x in o.periods],
        egress=[EgressOut.model_validate(x, from_attributes=True) for x in o.egress],
    )


def _quote(gw: Gateway, who: Principal, body: Mapping[str, Any]) -> QuotedOut:
    require(who, *PEOPLE)
    spec_data, budget = split_budget(body)
    spec = parse_spec(spec_data)
    now = gw.clock.now()
    snapshot, _ = gw.store.snapshot(now)
    home = gw.store.account(who.account_id).home
    tariffs = gw.store.tariffs()
    q = quote(spec, snapshot, tariffs=tariffs, now=now, home=home)
    held = [  # what an order with the quote's id is placed at, if cheaper then
        {
            "center": o.center,
            "price_per_hour": str(o.price_per_hour),
            "base_hourly": str(o.base_hourly),
            "tariff": tariffs.get(o.center, Tariff()).to_dict(),
        }
        for o in q.offers
    ]
    rec = gw.store.save_quote(who.account_id, spec_data, held, now)
    return QuotedOut(
        quote_id=rec.id,
        created_at=rec.created_at,
        valid_until=rec.expires_at,
        valid_seconds=QUOTE_TTL_SECONDS,
        currency="CNY",
        runtime_hours=spec.runtime_hours,
        spot=spec.spot,
        budget=budget,
        offers=[_offer_out(o) for o in q.offers],
        excluded=[
            ExclusionOut(center=e.center, code=e.code.value, detail=e.detail) for e in q.excluded
        ],
        message=q.message,
        estimated_start=q.estimated_start,
        warnings=[
            f"{o.center}: the estimate {o.estimated_cost} exceeds the budget {budget}"
            for o in q.offers
            if budget is not None and o.estimated_cost > budget
        ],
        clouds=[] if gw.clouds is None else [_cloud_out(o) for o in gw.clouds.top(spec)],
    )


def _cloud_out(o: CloudOffer) -> CloudOfferOut:
    return CloudOfferOut(
        cloud=o.cloud,
        region=o.region,
        instance_type=o.instance_type,
        accelerator=o.accelerator or None,
        accelerator_count=o.count,
        price_per_hour=round(o.price_per_hour, 4),
        estimated_hours=o.estimated_hours,
        estimated_cost=round(o.estimated_cost, 4),
    )


@router.post("/quotes", status_code=201, response_model=QuotedOut)
def create_quote(gw: GW, who: Caller, body: SpecBody) -> QuotedOut:
    """The ranked offers for a spec (center, hub, hardware, price per hour now, estimated cost
    with the time-of-use periods crossed and the egress of inputs held elsewhere, estimated
    start, carbon) with a quote id: `POST /v1/orders` with it before `valid_until` holds the
    quoted price (or today's, when lower)."""
    return _quote(gw, who, body)


@router.post("/quote", response_model=QuotedOut, deprecated=True)
def create_quote_deprecated(gw: GW, who: Caller, body: SpecBody, response: Response) -> QuotedOut:
    """Deprecated: use `POST /v1/quotes` (the same body; this one answers 200)."""
    response.headers["Deprecation"] = "true"
    response.headers["Link"] = '</v1/quotes>; rel="successor-version"'
    return _quote(gw, who, body)


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
