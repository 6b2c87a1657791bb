"""The REST API's request and response bodies (pydantic)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

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
    "RegisterIn",
    "RegisterOut",
    "ReportIn",
    "StrictIn",
]


ID = Annotated[int, Field(ge=1, le=2**62)]
NAME = Annotated[str, Field(min_length=1, max_length=128)]


class StrictIn(BaseModel):
    """Request bodies refuse keys they do not know (422 naming the key)."""

    model_config = ConfigDict(extra="forbid")


class ResourcesIn(StrictIn):
    cpus: float = Field(ge=0, le=1e9)
    memory_gb: float = Field(ge=0, le=1e12)
    accelerators: dict[str, Annotated[int, Field(ge=0, le=2**31)]] = Field(default_factory=dict)


class ExclusionOut(BaseModel):
    center: str
    code: str
    detail: str


class AttemptOut(BaseModel):
    id: int
    number: int
    center: str
    node: int
    nodes: list[int] = Field(description="every node of a gang; [] for one node")
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
    reason_code: str | None = Field(
        description="while pending: the main reason it waits (UNHEALTHY, REGION, DATA, "
        "LATENCY, NO_ACCELERATOR, NODE_TOO_SMALL, TOO_FEW_NODES, NO_PRICE, OVER_MAX_PRICE, "
        "DEADLINE, QUOTA, BUSY)"
    )
    estimated_start: float | None = Field(
        description="while pending: estimated start, seconds since the epoch (null: unknown)"
    )
    exclusions: list[ExclusionOut]
    submitted_at: float
    ended_at: float | None
    exit_code: int | None
    cancel_requested: bool
    attempts: list[AttemptOut]
    wall_seconds: float = Field(description="billed wall seconds over all attempts")
    cost: float = Field(description="metered cost so far: price x wall seconds, per attempt")
    charged: float | None = Field(
        default=None, description="what the ledger has charged for it (settled to the fen)"
    )
    currency: str
    spec: dict[str, Any]
    warning: str | None = Field(
        default=None,
        description="at submit: what stands in its way (e.g. a deadline no "
        "center can meet); the job is queued all the same",
    )


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
    nodes: int  # listed; an elastic center adds nodes on demand
    elastic: bool
    pools: list[dict[str, Any]]  # each with price/spot_price per node-hour when rented whole
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


class RegisterIn(StrictIn):
    center: dict[str, Any]
    agent: dict[str, Any] = Field(default_factory=dict)


class RegisterOut(BaseModel):
    center: str
    heartbeat_interval: float
    lease_seconds: float


class HeartbeatIn(StrictIn):
    center: NAME
    held: list[ID] = Field(default_factory=list, max_length=100_000)
    free: list[ResourcesIn] | None = Field(
        default=None,
        max_length=100_000,
        description="free resources per node, as the cluster reports them",
    )
    backend_error: str = Field(default="", max_length=2000)


class HeartbeatOut(BaseModel):
    stop: list[int]


class LeaseIn(StrictIn):
    center: NAME
    held: list[ID] = Field(default_factory=list, max_length=100_000)


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


class ReportIn(StrictIn):
    center: NAME
    attempt_id: ID
    state: JobState
    exit_code: int | None = Field(default=None, ge=-(2**31), le=2**31 - 1)
    wall_seconds: float | None = Field(default=None, ge=0, le=1e10)
    reason: str = Field(default="", max_length=4000)
    backend_id: str = Field(default="", max_length=256)


class LogChunkIn(StrictIn):
    center: NAME
    attempt_id: ID
    offset: int = Field(ge=0, le=2**62)
    data: str = Field(max_length=1 << 20)
