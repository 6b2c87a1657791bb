"""What the scheduler decides: offers, placements and the reasons for what it did not place."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import overload

from c2net.model.resources import Resources

__all__ = [
    "Exclusion",
    "Exclusions",
    "Pending",
    "Placement",
    "Plan",
    "Preemption",
    "ReasonCode",
]


class ReasonCode(StrEnum):
    """Why a center cannot take a job, in the order the filters test them."""

    UNHEALTHY = "UNHEALTHY"
    REGION = "REGION"  # outside the job's allowed regions
    DATA = "DATA"  # data_policy stay and the data is elsewhere, or an unknown dataset
    LATENCY = "LATENCY"  # an interactive job's home is further than max_rtt_ms
    NO_ACCELERATOR = "NO_ACCELERATOR"  # the center has none of the type asked for
    NODE_TOO_SMALL = "NODE_TOO_SMALL"  # no node shape holds the job even when empty
    TOO_FEW_NODES = "TOO_FEW_NODES"  # a gang of num_nodes needs more nodes than a pool has
    NO_PRICE = "NO_PRICE"  # the center sells no such hardware
    OVER_MAX_PRICE = "OVER_MAX_PRICE"
    DEADLINE = "DEADLINE"  # it would finish after the job's deadline
    QUOTA = "QUOTA"  # the job's account is at its quota
    BUSY = "BUSY"  # a node could hold it, but none has room now


@dataclass(frozen=True)
class Exclusion:
    center: str
    code: ReasonCode
    detail: str


class Exclusions(Sequence[Exclusion]):
    """A pending job's per-center exclusions, built on first read.

    Every job of a class shares one: with a thousand centers and tens of thousands of pending
    jobs, building them eagerly would cost more than the whole scheduling cycle.
    """

    __slots__ = ("_build", "_items")

    def __init__(self, build: Callable[[], tuple[Exclusion, ...]]) -> None:
        self._build: Callable[[], tuple[Exclusion, ...]] | None = build
        self._items: tuple[Exclusion, ...] = ()

    def _all(self) -> tuple[Exclusion, ...]:
        if self._build is not None:
            self._items, self._build = self._build(), None
        return self._items

    @overload
    def __getitem__(self, index: int) -> Exclusion: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Exclusion, ...]: ...
    def __getitem__(self, index: int | slice) -> Exclusion | tuple[Exclusion, ...]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[Exclusion]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Exclusions | tuple):
            return self._all() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._all())

    def __repr__(self) -> str:
        return f"Exclusions({self._all()!r})"


@dataclass(frozen=True)
class Placement:
    job_id: int
    center: str
    node: int  # index into the center's node_shapes() (the first node of a gang)
    resources: Resources  # per node
    price_per_hour: float  # for the whole job (every node)
    estimated_cost: float  # price x estimated runtime (+ data egress)
    score: float
    nodes: tuple[int, ...] = ()  # every node of a gang (num_nodes > 1); () = (node,)
    estimated_hours: float = 0.0  # runtime estimated on this hardware (+ data transfer)
    pool: str = ""  # the node pool (hardware flavor) chosen

    @property
    def all_nodes(self) -> tuple[int, ...]:
        return self.nodes or (self.node,)


@dataclass(frozen=True)
class Preemption:
    """A running spot allocation to stop (SIGTERM, grace period, requeue) for `for_job`."""

    job_id: int
    center: str
    node: int
    for_job: int
    reason: str


@dataclass(frozen=True)
class Pending:
    job_id: int
    message: str
    exclusions: Sequence[Exclusion]  # a tuple, or Exclusions (built on first read)
    code: ReasonCode | None = None  # the main reason (None: no center registered)
    estimated_start: float | None = None  # seconds since the epoch; None = cannot tell


@dataclass(frozen=True)
class Plan:
    placements: tuple[Placement, ...] = ()
    pending: tuple[Pending, ...] = ()
    preemptions: tuple[Preemption, ...] = ()
    policy: str = ""
    created_at: float = 0.0
    stats: dict[str, float] = field(default_factory=dict)
