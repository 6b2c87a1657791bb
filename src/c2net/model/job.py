"""Jobs, their attempts and the state machine they move through."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from c2net.model.plan import Exclusion, ReasonCode
from c2net.model.resources import Resources
from c2net.model.spec import JobSpec

__all__ = [
    "ACTIVE",
    "TERMINAL",
    "Attempt",
    "IllegalTransition",
    "Job",
    "JobState",
    "check_transition",
]


class JobState(StrEnum):
    PENDING = "PENDING"
    ASSIGNED = "ASSIGNED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    LOST = "LOST"  # the attempt's center vanished; the job may be requeued


TERMINAL = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.LOST})
ACTIVE = frozenset({JobState.ASSIGNED, JobState.RUNNING})

_ALLOWED: dict[JobState, frozenset[JobState]] = {
    JobState.PENDING: frozenset({JobState.ASSIGNED, JobState.CANCELLED}),
    JobState.ASSIGNED: frozenset(
        {JobState.RUNNING, JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.LOST}
    ),
    JobState.RUNNING: frozenset(
        {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.LOST}
    ),
    JobState.SUCCEEDED: frozenset(),
    JobState.FAILED: frozenset(),
    JobState.CANCELLED: frozenset(),
    # A lost attempt's job goes back to the queue when it has retries left.
    JobState.LOST: frozenset({JobState.PENDING}),
}


class IllegalTransition(ValueError):
    def __init__(self, current: JobState, new: JobState) -> None:
        super().__init__(f"illegal transition {current} -> {new}")
        self.current = current
        self.new = new


def check_transition(current: JobState, new: JobState) -> JobState:
    """Return `new` if a job may move from `current` to it; raise IllegalTransition otherwise."""
    if new not in _ALLOWED[current]:
        raise IllegalTransition(current, new)
    return new


@dataclass
class Attempt:
    """One try at running a job at one center; the unit of metering."""

    id: int
    job_id: int
    number: int
    center: str
    node: int
    resources: Resources  # per node
    price_per_hour: float  # fixed at placement time
    state: JobState = JobState.ASSIGNED
    assigned_at: float = 0.0
    started_at: float | None = None
    ended_at: float | None = None
    wall_seconds: float | None = None
    exit_code: int | None = None
    reason: str = ""
    backend_id: str = ""
    nodes: tuple[int, ...] = ()  # every node of a gang; () means (node,)

    def move(self, new: JobState) -> None:
        self.state = check_transition(self.state, new)


@dataclass
class Job:
    id: int
    spec: JobSpec
    state: JobState = JobState.PENDING
    submitted_at: float = 0.0
    reason: str = ""  # why it waits, or why it ended as it did
    center: str | None = None
    exit_code: int | None = None
    cancel_requested: bool = False
    attempts: list[Attempt] = field(default_factory=list)
    ended_at: float | None = None
    exclusions: tuple[Exclusion, ...] = ()  # the decision record behind `reason`
    log_size: int = 0
    account_id: int | None = None  # the consumer account that owns and pays for it
    reason_code: ReasonCode | None = None  # while pending: the main reason it waits
    estimated_start: float | None = None  # while pending: when it should start, if known

    @property
    def request(self) -> Resources:
        return self.spec.resources

    def move(self, new: JobState) -> None:
        self.state = check_transition(self.state, new)
