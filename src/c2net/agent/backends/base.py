"""The one narrow protocol every center backend implements, with plain data across it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from c2net.model import JobState, NodePool, Resources

__all__ = ["Backend", "BackendError", "Capabilities", "ReportsFree", "Task", "TaskStatus"]


class BackendError(RuntimeError):
    """The backend could not do what was asked (submit refused, cluster unreachable)."""


@dataclass(frozen=True)
class Task:
    """One attempt of a job, as a backend needs it."""

    attempt_id: int
    job_id: int
    name: str
    run: str
    setup: str
    envs: Mapping[str, str]
    resources: Resources
    node: int  # index of the node the gateway reserved (late binding may ignore it)
    workdir: str
    time_limit_seconds: float | None = None
    num_nodes: int = 1


@dataclass(frozen=True)
class TaskStatus:
    state: JobState  # ASSIGNED while queued inside the cluster, RUNNING, then terminal
    exit_code: int | None = None
    reason: str = ""
    wall_seconds: float | None = None


@dataclass(frozen=True)
class Capabilities:
    multi_node: bool = False
    real_accelerators: bool = False
    reattach: bool = True
    discovers_capacity: bool = False
    extra: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class Backend(Protocol):
    name: str
    capabilities: Capabilities

    def submit(self, task: Task) -> str:
        """Start the task; return the backend's id for it."""
        ...

    def poll(self, backend_id: str) -> TaskStatus: ...

    def cancel(self, backend_id: str) -> None:
        """Stop the task and everything it started; idempotent."""
        ...

    def read_output(self, backend_id: str, offset: int) -> bytes:
        """Output bytes from `offset` on (stdout and stderr, interleaved as written)."""
        ...

    def capacity(self) -> list[NodePool] | None:
        """Node pools as the cluster reports them now, or None to use the center file."""
        ...


@runtime_checkable
class ReportsFree(Protocol):
    """A backend whose cluster can say what is free on each node now (work submitted to it
    outside the network included), in the node order of capacity()."""

    def free(self) -> list[Resources]: ...
