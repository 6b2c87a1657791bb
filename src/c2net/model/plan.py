"""What the scheduler decides: offers, placements and the reasons for what it did not place."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from c2net.model.resources import Resources

__all__ = ["Exclusion", "Offer", "Pending", "Placement", "Plan", "ReasonCode"]


class ReasonCode(StrEnum):
    """Why a center cannot take a job, in the order the filters test them."""

    UNHEALTHY = "UNHEALTHY"
    REGION = "REGION"  # outside the job's allowed regions
    NO_ACCELERATOR = "NO_ACCELERATOR"  # the center has none of the type asked for
    NODE_TOO_SMALL = "NODE_TOO_SMALL"  # no node shape holds the job even when empty
    NO_PRICE = "NO_PRICE"  # the center sells no such hardware
    OVER_MAX_PRICE = "OVER_MAX_PRICE"
    BUSY = "BUSY"  # a node could hold it, but none has room now


@dataclass(frozen=True)
class Exclusion:
    center: str
    code: ReasonCode
    detail: str


@dataclass(frozen=True)
class Offer:
    """A center that can run a job, with what it would cost."""

    center: str
    hub: str
    region: str
    role: str
    price_per_hour: float
    estimated_cost: float
    available_now: bool  # False when every node that could hold it is busy


@dataclass(frozen=True)
class Placement:
    job_id: int
    center: str
    node: int  # index into the center's node_shapes()
    resources: Resources
    price_per_hour: float
    estimated_cost: float
    score: float


@dataclass(frozen=True)
class Pending:
    job_id: int
    message: str
    exclusions: tuple[Exclusion, ...]


@dataclass(frozen=True)
class Plan:
    placements: tuple[Placement, ...] = ()
    pending: tuple[Pending, ...] = ()
    policy: str = ""
    created_at: float = 0.0
    stats: dict[str, float] = field(default_factory=dict)
