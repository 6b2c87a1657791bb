"""Orders: a job with market terms, a quote id (its price held until the quote expires) and a
budget. Consumers and operators place orders; quotes: routes/market.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from pydantic import Field

from c2net.gateway.auth import Caller, require
from c2net.gateway.routes.market import split_budget
from c2net.gateway.routes.money import GW, Fen
from c2net.gateway.schemas import JobOut, StrictIn
from c2net.gateway.views import job_out
from c2net.model import Role, parse_spec
from c2net.store import Conflict, NotFound

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["orders"])


class OrderIn(StrictIn):
    spec: dict[str, Any]
    quote: str | None = Field(
        default=None, max_length=40, description="a quote id: its price is held"
    )
    budget: Fen | None = Field(default=None, description="a cap on the job's total cost")


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
