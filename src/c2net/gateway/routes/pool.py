"""The pool for operators and over time: fairness between tenants now (operators), and the
utilization history the gateway samples (any signed-in user).

Fairness is weighted dominant-resource fairness, as the scheduler orders its queue
(scheduler/fairness.py): an account's dominant share is the largest fraction of any resource
of the pool (CPUs, memory GB, each accelerator type; the pool is every healthy center) that its
assigned and running attempts hold; its weighted share is that over its weight. Accounts with
work (running or queued) are entitled to weight / the sum of their weights. Jain's index over
their weighted shares is 1 when every one stands at its weight, 1/n when one holds everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from c2net.gateway.auth import Caller, require
from c2net.gateway.deps import Gateway, gateway
from c2net.model import AccountKind, Health, Resources, Role
from c2net.scheduler.fairness import jain_index
from c2net.store import NotFound
from c2net.store.pool import PoolSample, TenantLoad

__all__ = ["FairnessOut", "HistoryOut", "dominant_share", "router"]

router = APIRouter(prefix="/v1/pool", tags=["pool"])

GW = Annotated[Gateway, Depends(gateway)]
HISTORY_SECONDS = 3600.0  # how far back /history goes without `since`


class AmountsOut(BaseModel):
    cpus: float
    memory_gb: float
    accelerators: dict[str, int]


class QuotaOut(BaseModel):
    max_cpus: float | None = Field(description="None: no limit")
    max_memory_gb: float | None
    max_accelerators: int | None


class TenantOut(BaseModel):
    account: str
    kind: AccountKind
    weight: float
    quota: QuotaOut
    held: AmountsOut = Field(description="what its assigned and running attempts hold")
    running: int = Field(description="assigned and running attempts")
    queued: int = Field(description="pending jobs")
    dominant_resource: str | None = Field(description="cpus, memory_gb or a type; None: idle")
    dominant_share: float = Field(description="max over resources of held / pool")
    weighted_share: float = Field(description="dominant_share / weight")
    entitled_share: float | None = Field(description="weight / sum of weights with work")


class FairnessOut(BaseModel):
    at: float
    pool: AmountsOut = Field(description="capacity of the healthy centers")
    tenants: list[TenantOut]
    active: int = Field(description="accounts with work (running or queued)")
    jain_index: float = Field(description="over the weighted shares of accounts with work")


_OLD = "None: a sample taken before memory was sampled"


class SampleOut(BaseModel):
    at: float
    cpus: float
    cpus_used: float
    memory_gb: float | None = Field(description=_OLD)
    memory_gb_used: float | None = Field(description=_OLD)
    accelerators: int
    accelerators_used: int
    healthy: bool


class TotalOut(BaseModel):
    at: float
    cpus: float
    cpus_used: float
    memory_gb: float | None = Field(description="None when a center's sample has no memory")
    memory_gb_used: float | None
    accelerators: int
    accelerators_used: int
    centers: int = Field(description="centers sampled")
    healthy: int = Field(description="of which healthy")


class HistoryOut(BaseModel):
    since: float
    sample_seconds: float = Field(description="the gateway samples every center this often")
    keep_seconds: float = Field(description="and keeps samples this long")
    centers: dict[str, list[SampleOut]]
    total: list[TotalOut] = Field(description="per sample time, the sum over `centers`")


def _amounts(r: Resources) -> AmountsOut:
    return AmountsOut(
        cpus=r.cpus, memory_gb=r.memory_gb, accelerators=dict(sorted(r.accelerators.items()))
    )


def dominant_share(held: Resources, pool: Resources) -> tuple[str | None, float]:
    """The resource of which `held` is the largest fraction of `pool`, and that fraction
    (resources the pool has none of do not count, as in the scheduler's FairQueue)."""
    parts = [("cpus", held.cpus, pool.cpus), ("memory_gb", held.memory_gb, pool.memory_gb)]
    parts += [(t, n, pool.accelerators.get(t, 0)) for t, n in sorted(held.accelerators.items())]
    best: tuple[str | None, float] = (None, 0.0)
    for name, used, total in parts:
        if total > 0 and used / total > best[1]:
            best = (name, used / total)
    return best


def _tenant(load: TenantLoad, pool: Resources, active_weight: float) -> TenantOut:
    a = load.account
    resource, share = dominant_share(load.held, pool)
    return TenantOut(
        account=a.name,
        kind=a.kind,
        weight=a.weight,
        quota=QuotaOut(
            max_cpus=a.max_cpus, max_memory_gb=a.max_memory_gb, max_accelerators=a.max_accelerators
        ),
        held=_amounts(load.held),
        running=load.running,
        queued=load.queued,
        dominant_resource=resource,
        dominant_share=share,
        weighted_share=share / max(a.weight, 1e-9),
        entitled_share=a.weight / active_weight if load.has_work and active_weight > 0 else None,
    )


@router.get("/fairness", response_model=FairnessOut)
def fairness(gw: GW, who: Caller) -> FairnessOut:
    """Each consumer account's weight, quota, holdings, dominant and entitled share, queued
    jobs, and Jain's fairness index over the accounts with work (operators only)."""
    require(who, Role.OPERATOR)
    now = gw.clock.now()
    pool = Resources.total(
        s.center.capacity for s in gw.store.centers(now) if s.center.health is Health.HEALTHY
    )
    loads = gw.store.tenant_loads()
    active_weight = sum(t.account.weight for t in loads if t.has_work)
    tenants = [_tenant(t, pool, active_weight) for t in loads]
    working = [t.weighted_share for t, load in zip(tenants, loads, strict=True) if load.has_work]
    return FairnessOut(
        at=now,
        pool=_amounts(pool),
        tenants=tenants,
        active=len(working),
        jain_index=jain_index(working),
    )


def _totals(samples: Sequence[PoolSample]) -> list[TotalOut]:
    out: list[TotalOut] = []
    for s in samples:  # oldest first: samples of one moment are adjacent
        if not out or out[-1].at != s.at:
            out.append(
                TotalOut(
                    at=s.at,
                    cpus=0,
                    cpus_used=0,
                    memory_gb=0.0,
                    memory_gb_used=0.0,
                    accelerators=0,
                    accelerators_used=0,
                    centers=0,
                    healthy=0,
                )
            )
        t = out[-1]
        t.cpus += s.cpus
        t.cpus_used += s.cpus_used
        known = (t.memory_gb, t.memory_gb_used, s.memory_gb, s.memory_gb_used)
        if None in known:  # one center's sample is from before memory was sampled
            t.memory_gb = t.memory_gb_used = None
        else:
            t.memory_gb = (t.memory_gb or 0.0) + (s.memory_gb or 0.0)
            t.memory_gb_used = (t.memory_gb_used or 0.0) + (s.memory_gb_used or 0.0)
        t.accelerators += s.accelerators
        t.accelerators_used += s.accelerators_used
        t.centers += 1
        t.healthy += int(s.healthy)
    return out


@router.get("/history", response_model=HistoryOut)
def history(
    gw: GW,
    who: Caller,
    since: Annotated[
        float | None, Query(ge=0, le=1e12, description="unix seconds (default: an hour ago)")
    ] = None,
    center: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
) -> HistoryOut:
    """The pool's utilization as sampled by the gateway, oldest first: per center and the
    total per sample time, over the centers the caller sees in GET /v1/centers (providers
    their own, agents none, everyone else the whole pool)."""
    visible = {n for n, owner in gw.store.center_owners().items() if who.sees_center(owner)}
    if center is not None and center not in visible:
        raise NotFound(f"center {center} is not registered")
    start = gw.clock.now() - HISTORY_SECONDS if since is None else since
    samples = [s for s in gw.store.pool_history(start, center) if s.center in visible]
    per_center: dict[str, list[SampleOut]] = {}
    for s in samples:
        per_center.setdefault(s.center, []).append(
            SampleOut(
                at=s.at,
                cpus=s.cpus,
                cpus_used=s.cpus_used,
                memory_gb=s.memory_gb,
                memory_gb_used=s.memory_gb_used,
                accelerators=s.accelerators,
                accelerators_used=s.accelerators_used,
                healthy=s.healthy,
            )
        )
    return HistoryOut(
        since=start,
        sample_seconds=gw.loop.sample_seconds,
        keep_seconds=gw.loop.keep_seconds,
        centers=per_center,
        total=_totals(samples),
    )
