"""The agent's side of the API: everything an outbound-only agent calls."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException

from c2net.gateway.auth import Caller, agent_for
from c2net.gateway.deps import Gateway, gateway
from c2net.gateway.schemas import (
    AssignmentOut,
    AttemptOut,
    HeartbeatIn,
    HeartbeatOut,
    LeaseIn,
    LeaseOut,
    LogChunkIn,
    RegisterIn,
    RegisterOut,
    ReportIn,
)
from c2net.gateway.views import attempt_line, attempt_out
from c2net.market.tariff import parse_tariff
from c2net.model import TERMINAL, Resources
from c2net.network import parse_center

router = APIRouter(prefix="/v1/agent", tags=["agent"])

GW = Annotated[Gateway, Depends(gateway)]


@router.post("/register", response_model=RegisterOut)
def register(gw: GW, who: Caller, body: RegisterIn) -> RegisterOut:
    if "catalog" in body.center:  # the gateway reads no file an agent names
        raise HTTPException(
            422, "center: send the pools and prices a `catalog:` stands for (the agent reads it)"
        )
    try:
        center = parse_center(body.center)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    agent_for(who, center.name)
    now = gw.clock.now()
    gw.store.register_center(center, now, body.agent, owner=who.account_id)
    if body.center.get("tariff") is not None:  # the center file's price plan (checked above)
        gw.store.set_tariff(center.name, parse_tariff(body.center["tariff"]), now)
    gw.loop.wake()
    return RegisterOut(
        center=center.name,
        heartbeat_interval=gw.heartbeat_interval,
        lease_seconds=gw.store.lease_seconds,
    )


@router.post("/heartbeat", response_model=HeartbeatOut)
def heartbeat(gw: GW, who: Caller, body: HeartbeatIn) -> HeartbeatOut:
    agent_for(who, body.center)
    free = None if body.free is None else [Resources(**r.model_dump()) for r in body.free]
    stop = gw.store.heartbeat(
        body.center, gw.clock.now(), body.held, free=free, backend_error=body.backend_error
    )
    return HeartbeatOut(stop=stop)


@router.post("/lease", response_model=LeaseOut)
def lease(gw: GW, who: Caller, body: LeaseIn) -> LeaseOut:
    agent_for(who, body.center)
    attempts = gw.store.lease(body.center, gw.clock.now(), body.held)
    out = []
    for a in attempts:
        job = gw.store.job(a.job_id)
        out.append(
            AssignmentOut(
                attempt_id=a.id,
                job_id=a.job_id,
                number=a.number,
                node=a.node,
                spec=job.spec.to_dict(),
                resources=a.resources.to_dict(),
                price_per_hour=a.price_per_hour,
            )
        )
    return LeaseOut(assignments=out)


@router.post("/report", response_model=AttemptOut)
def report(gw: GW, who: Caller, body: ReportIn) -> AttemptOut:
    agent_for(who, body.center)
    a = gw.store.report(
        body.center,
        body.attempt_id,
        body.state,
        gw.clock.now(),
        exit_code=body.exit_code,
        wall_seconds=body.wall_seconds,
        reason=body.reason,
        backend_id=body.backend_id,
    )
    if a.state in TERMINAL:
        gw.loop.wake()  # capacity freed
    now = gw.clock.now()
    return attempt_out(a, attempt_line(a, "", now))


@router.post("/logs")
def append_logs(gw: GW, who: Caller, body: LogChunkIn) -> dict[str, int]:
    agent_for(who, body.center)
    size = gw.store.append_log(body.center, body.attempt_id, body.offset, body.data)
    return {"size": size}
