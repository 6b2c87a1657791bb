"""Jobs: submit, list, show, cancel, logs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, HTTPException, Query

from c2net.gateway.deps import Gateway, gateway
from c2net.gateway.schemas import JobOut, LogsOut
from c2net.gateway.views import job_out
from c2net.model import JobState, parse_spec

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

GW = Annotated[Gateway, Depends(gateway)]


@router.post("", status_code=201, response_model=JobOut)
def submit(
    gw: GW,
    spec: Annotated[dict[str, Any], Body(description="a job spec, as in the YAML file")],
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> JobOut:
    parsed = parse_spec(spec)  # SpecError -> 422 with the problems listed
    job = gw.store.submit(parsed, gw.clock.now(), idempotency_key)
    gw.loop.wake()
    return job_out(job, gw.clock.now())


@router.get("", response_model=list[JobOut])
def list_jobs(
    gw: GW,
    state: Annotated[list[str] | None, Query(description="PENDING, RUNNING, ...")] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> list[JobOut]:
    wanted: list[JobState] = []
    for s in state or []:
        for part in s.split(","):
            try:
                wanted.append(JobState(part.strip().upper()))
            except ValueError:
                allowed = ", ".join(x.value for x in JobState)
                raise HTTPException(
                    422, f"state: unknown state {part!r} (allowed: {allowed})"
                ) from None
    now = gw.clock.now()
    return [job_out(j, now) for j in gw.store.jobs(wanted, limit)]


@router.get("/{job_id}", response_model=JobOut)
def show(gw: GW, job_id: int) -> JobOut:
    return job_out(gw.store.job(job_id), gw.clock.now())


@router.post("/{job_id}/cancel", response_model=JobOut)
def cancel(gw: GW, job_id: int) -> JobOut:
    job = gw.store.cancel(job_id, gw.clock.now())
    return job_out(job, gw.clock.now())


@router.get("/{job_id}/logs", response_model=LogsOut)
def logs(gw: GW, job_id: int, offset: Annotated[int, Query(ge=0)] = 0) -> LogsOut:
    data, next_offset = gw.store.read_log(job_id, offset)
    state = gw.store.job(job_id).state
    return LogsOut(job_id=job_id, offset=offset, next_offset=next_offset, data=data, state=state)
