"""The REST API's request and response bodies (pydantic)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from c2net.model import JobState

__all__ = [
    "AssignmentOut",
    "AttemptOut",
    "BillLineOut",
    "BillOut",
    "CenterOut",
    "ExclusionOut",
    "HeartbeatIn",
    "HeartbeatOut",
    "JobOut",
    "LeaseIn",
    "LeaseOut",
    "LogChunkIn",
    "LogsOut",
    "OfferOut",
    "QuoteOut",
    "RegisterIn",
    "RegisterOut",
    "ReportIn",
]


class ResourcesIn(BaseModel):
    cpus: float = Field(ge=0)
    memory_gb: float = Field(ge=0)
    accelerators: dict[str, int] = Field(default_factory=dict)


class ExclusionOut(BaseModel):
    center: str
    code: str
    detail: str


class AttemptOut(BaseModel):
    id: int
    number: int
    center: str
    node: int
    state: JobState
    resources: dict[str, Any]
    price_per_hour: float
    assigned_at: float
    started_at: float | None
    ended_at: float | None
    wall_seconds: float | None
    exit_code: int | None
    reason: str
    backend_id: str
    cost: float
    billed: bool


class JobOut(BaseModel):
    id: int
    name: str
    state: JobState
    center: str | None
    reason: str
    exclusions: list[ExclusionOut]
    submitted_at: float
    ended_at: float | None
    exit_code: int | None
    cancel_requested: bool
    attempts: list[AttemptOut]
    wall_seconds: float = Field(description="billed wall seconds over all attempts")
    cost: float = Field(description="billed cost so far, per-second metering")
    currency: str
    spec: dict[str, Any]


class OfferOut(BaseModel):
    center: str
    hub: str
    region: str
    role: str
    price_per_hour: float
    estimated_cost: float
    available_now: bool


class QuoteOut(BaseModel):
    runtime_hours: float
    offers: list[OfferOut]
    excluded: list[ExclusionOut]
    message: str


class CenterOut(BaseModel):
    name: str
    hub: str
    region: str
    role: str
    backend: str
    emulated: bool
    health: str
    health_reason: str
    last_heartbeat: float
    seconds_since_heartbeat: float
    nodes: int
    pools: list[dict[str, Any]]
    capacity: dict[str, Any]
    used: dict[str, Any]
    free: dict[str, Any]
    running_jobs: int
    prices: dict[str, Any]


class BillLineOut(BaseModel):
    job_id: int
    job_name: str
    attempt: int
    center: str
    resources: str
    state: str
    started_at: float | None
    ended_at: float | None
    wall_seconds: float
    price_per_hour: float
    cost: float
    billed: bool


class BillOut(BaseModel):
    currency: str
    lines: list[BillLineOut]
    by_center: dict[str, float]
    total: float
    wall_seconds: float


class LogsOut(BaseModel):
    job_id: int
    offset: int
    next_offset: int
    data: str
    state: JobState


class RegisterIn(BaseModel):
    center: dict[str, Any]
    agent: dict[str, Any] = Field(default_factory=dict)


class RegisterOut(BaseModel):
    center: str
    heartbeat_interval: float
    lease_seconds: float


class HeartbeatIn(BaseModel):
    center: str
    held: list[int] = Field(default_factory=list)
    free: list[ResourcesIn] | None = Field(
        default=None, description="free resources per node, as the cluster reports them"
    )
    backend_error: str = Field(default="", max_length=2000)


class HeartbeatOut(BaseModel):
    stop: list[int]


class LeaseIn(BaseModel):
    center: str
    held: list[int] = Field(default_factory=list)


class AssignmentOut(BaseModel):
    attempt_id: int
    job_id: int
    number: int
    node: int
    spec: dict[str, Any]
    resources: dict[str, Any]
    price_per_hour: float


class LeaseOut(BaseModel):
    assignments: list[AssignmentOut]


class ReportIn(BaseModel):
    center: str
    attempt_id: int
    state: JobState
    exit_code: int | None = None
    wall_seconds: float | None = Field(default=None, ge=0)
    reason: str = ""
    backend_id: str = ""


class LogChunkIn(BaseModel):
    center: str
    attempt_id: int
    offset: int = Field(ge=0)
    data: str
