"""Jobs: submit, list, show, cancel, logs."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, HTTPException, Path, Query

from c2net.gateway.auth import Caller, job_visible, owned_centers, require
from c2net.gateway.deps import Gateway, gateway
from c2net.gateway.schemas import JobOut, LogsOut
from c2net.gateway.views import job_out
from c2net.model import Job, JobState, ReasonCode, Role, parse_spec
from c2net.scheduler import QueuedJob
from c2net.scheduler.explain import explain
from c2net.store import NotFound

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

GW = Annotated[Gateway, Depends(gateway)]
JobId = Annotated[int, Path(ge=1, le=2**62)]


@router.post("", status_code=201, response_model=JobOut)
def submit(
    gw: GW,
    who: Caller,
    spec: Annotated[dict[str, Any], Body(description="a job spec, as in the YAML file")],
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> JobOut:
    require(who, Role.CONSUMER, Role.OPERATOR)
    parsed = parse_spec(spec)  # SpecError -> 422 with the problems listed
    job = gw.store.submit(
        parsed, gw.clock.now(), idempotency_key, account_id=who.account_id, user_id=who.user_id
    )
    gw.loop.wake()
    out = job_out(job, gw.clock.now(), gw.store.job_charges([job.id]).get(job.id))
    if parsed.deadline_hours is not None:
        out.warning = _late(gw, job)
    return out


def _late(gw: Gateway, job: Job) -> str | None:
    """Said at submit: no center can finish the job by its deadline (it stays queued, as
    sbatch --deadline accepts a job; the reason keeps saying why it waits)."""
    now = gw.clock.now()
    snapshot, _ = gw.store.snapshot(now)
    rows = explain(snapshot, QueuedJob(job.id, job.spec, job.submitted_at), gw.loop.policy, now)
    if any(r.rank is not None for r in rows):
        return None
    late = [r for r in rows if r.code is ReasonCode.DEADLINE]
    if not late:
        return None
    return "no center can finish it by its deadline: " + "; ".join(
        f"{r.center}: {r.detail}" for r in late[:5]
    )


@router.get("", response_model=list[JobOut])
def list_jobs(
    gw: GW,
    who: Caller,
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
    if who.role is Role.CONSUMER:
        found = gw.store.jobs(wanted, limit, account_id=who.account_id)
    elif who.role is Role.PROVIDER:
        found = gw.store.jobs(wanted, limit, at_centers=owned_centers(gw, who))
    else:
        require(who, Role.OPERATOR)
        found = gw.store.jobs(wanted, limit)
    charged = gw.store.job_charges(j.id for j in found)
    return [job_out(j, now, charged.get(j.id)) for j in found]


def visible_job(gw: Gateway, who: Caller, job_id: JobId) -> Job:
    """The job if the caller may see it; 404 otherwise (its existence is not revealed)."""
    job = gw.store.job(job_id)
    if not job_visible(gw, who, job):
        raise NotFound(f"job {job_id} not found")
    return job


@router.get("/{job_id}", response_model=JobOut)
def show(gw: GW, who: Caller, job_id: JobId) -> JobOut:
    job = visible_job(gw, who, job_id)
    return job_out(job, gw.clock.now(), gw.store.job_charges([job.id]).get(job.id))


@router.post("/{job_id}/cancel", response_model=JobOut)
def cancel(gw: GW, who: Caller, job_id: JobId) -> JobOut:
    require(who, Role.CONSUMER, Role.OPERATOR)
    visible_job(gw, who, job_id)
    job = gw.store.cancel(job_id, gw.clock.now())
    return job_out(job, gw.clock.now(), gw.store.job_charges([job.id]).get(job.id))


@router.get("/{job_id}/logs", response_model=LogsOut)
def logs(
    gw: GW, who: Caller, job_id: JobId, offset: Annotated[int, Query(ge=0, le=2**40)] = 0
) -> LogsOut:
    state = visible_job(gw, who, job_id).state
    data, next_offset = gw.store.read_log(job_id, offset)
    return LogsOut(job_id=job_id, offset=offset, next_offset=next_offset, data=data, state=state)


@router.get("/{job_id}/explain")
def explain_job(gw: GW, who: Caller, job_id: JobId) -> dict[str, Any]:
    """Per center, which filter rejected the job or how it ranks (condor_q -better-analyze)."""
    job = visible_job(gw, who, job_id)
    now = gw.clock.now()
    snapshot, _ = gw.store.snapshot(now)
    rows = explain(snapshot, QueuedJob(job.id, job.spec, job.submitted_at), gw.loop.policy, now)
    return {
        "job_id": job.id,
        "state": job.state,
        "reason": job.reason,
        "centers": [
            {
                k: (None if isinstance(v, float) and math.isnan(v) else v)
                for k, v in asdict(r).items()
            }
            for r in rows
        ],
    }
