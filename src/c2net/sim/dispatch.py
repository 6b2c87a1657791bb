"""How queued jobs reach the scheduler: one global queue (c2net, late binding) or one queue per
center chosen at arrival (a SkyPilot-style broker, blind to queueing).

Both hand the production `schedule()` a plain Snapshot and QueuedJobs and commit its Plan.
"""

from __future__ import annotations

import bisect
import copy
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from c2net.clock import Clock
from c2net.model import JobSpec, Placement
from c2net.scheduler import POLICIES, Policy, QueuedJob, get_policy, schedule
from c2net.sim.pool import Pool

__all__ = [
    "BROKER",
    "OBJECTIVES",
    "BrokerDispatcher",
    "Dispatcher",
    "GlobalDispatcher",
    "Waiting",
    "make_dispatcher",
    "policy_names",
]

BROKER = "broker"
# c2net's own objectives: the scheduler's `cheapest` policy ranking by the job's objective.
OBJECTIVES = {"cost": "cost", "time": "time", "carbon": "carbon"}
# Queued jobs looked at per cycle (like Slurm's bf_max_job_test) and ready jobs per scheduler
# call, in queue order (a full batch placed -> run again). The global queue hands the scheduler
# every ready job of a deep window, as the gateway hands it its whole queue; the broker's
# per-center FIFO queues keep a shallow window and small batches.
_WINDOW, _BATCH = 4096, 4096
_BROKER_WINDOW, _BROKER_BATCH = 256, 16


@dataclass(order=True)
class Waiting:
    """A job in a queue, ordered by submit time then id."""

    submit: float
    id: int
    spec: JobSpec = field(compare=False)
    vector: np.ndarray = field(compare=False, repr=False)
    tenant: str = field(default="", compare=False)
    home: str = field(default="", compare=False)

    def queued(self) -> QueuedJob:
        return QueuedJob(self.id, self.spec, self.submit, account=self.tenant, home=self.home)


class Dispatcher(Protocol):
    name: str

    def add(self, job: Waiting) -> None: ...

    def waiting(self) -> list[Waiting]: ...

    def dispatch(self, pool: Pool, clock: Clock, rng: random.Random) -> list[Placement]: ...

    def saturated(self) -> bool:
        """The last dispatch stopped at the batch size with everything placed."""
        ...


def _ready(
    queue: Sequence[Waiting],
    pool: Pool,
    only: int | None = None,
    window: int = _WINDOW,
    batch: int = _BATCH,
) -> list[Waiting]:
    """Of the first `window` queued jobs, those some node has room for now (each alone), at
    most `batch` + 1, in queue order."""
    if not queue:
        return []
    head = queue[:window]
    room = pool.room_now(np.stack([w.vector for w in head]), only)
    return [w for w, ok in zip(head, room, strict=True) if ok][: batch + 1]


def _saturated(ready: Sequence[Waiting], placed: int, batch: int = _BATCH) -> bool:
    """More jobs were ready than one batch and some were placed: the engine runs again."""
    return len(ready) > batch and placed > 0


class GlobalDispatcher:
    """c2net: one queue; each cycle the scheduler places what fits, wherever the policy says."""

    def __init__(self, policy: Policy, name: str | None = None) -> None:
        self.policy = policy
        self.name = name or policy.name
        self._queue: list[Waiting] = []
        self._more = False

    def saturated(self) -> bool:
        return self._more

    def add(self, job: Waiting) -> None:
        bisect.insort(self._queue, job)

    def waiting(self) -> list[Waiting]:
        return list(self._queue)

    def dispatch(self, pool: Pool, clock: Clock, rng: random.Random) -> list[Placement]:
        ready = _ready(self._queue, pool)
        self._more = False
        if not ready:
            return []
        plan = schedule(
            pool.snapshot(clock.now()),
            [w.queued() for w in ready[:_BATCH]],
            self.policy,
            clock,
            rng,
        )
        placed = {p.job_id for p in plan.placements}
        # every job placed was in the window: only the head changes
        self._queue[:_WINDOW] = [w for w in self._queue[:_WINDOW] if w.id not in placed]
        self._more = _saturated(ready, len(placed))
        return list(plan.placements)


class BrokerDispatcher:
    """A broker: at arrival each job goes to the cheapest healthy center that could ever hold it
    (the scheduler's `cheapest` policy on an idle snapshot) and waits in that center's queue."""

    name = BROKER

    def __init__(self, centers: int) -> None:
        self._queues: list[list[Waiting]] = [[] for _ in range(centers)]
        self._unrouted: list[Waiting] = []
        self._choice: dict[tuple[str, int], int | None] = {}
        self._more = False

    def saturated(self) -> bool:
        return self._more

    def add(self, job: Waiting) -> None:
        self._unrouted.append(job)

    def waiting(self) -> list[Waiting]:
        return sorted([*self._unrouted, *(w for q in self._queues for w in q)])

    def _route(self, job: Waiting, pool: Pool, clock: Clock) -> int | None:
        key = (job.spec.resources.describe(), pool.health_version)
        if key not in self._choice:
            plan = schedule(pool.idle_snapshot(clock.now()), [job.queued()], "cheapest", clock)
            self._choice[key] = pool.index[plan.placements[0].center] if plan.placements else None
        return self._choice[key]

    def dispatch(self, pool: Pool, clock: Clock, rng: random.Random) -> list[Placement]:
        for ci, queue in enumerate(self._queues):  # a center that failed: route its queue again
            if queue and not pool.healthy(ci):
                self._unrouted += queue
                self._queues[ci] = []
        unrouted, self._unrouted = sorted(self._unrouted), []
        touched = set(pool.changed) | (set(range(len(self._queues))) if self._more else set())
        pool.changed.clear()
        for job in unrouted:
            target = self._route(job, pool, clock)
            if target is None:
                self._unrouted.append(job)
            else:
                bisect.insort(self._queues[target], job)
                touched.add(target)
        placements: list[Placement] = []
        self._more = False
        for ci in sorted(touched):  # a center nothing happened at has no new room
            queue = self._queues[ci]
            ready = _ready(queue, pool, ci, _BROKER_WINDOW, _BROKER_BATCH)
            if not ready:
                continue
            snap = pool.snapshot(clock.now(), only=ci)
            batch = [w.queued() for w in ready[:_BROKER_BATCH]]
            plan = schedule(snap, batch, "first-fit", clock, rng)
            placed = {p.job_id for p in plan.placements}
            queue[:_BROKER_WINDOW] = [w for w in queue[:_BROKER_WINDOW] if w.id not in placed]
            self._more = self._more or _saturated(ready, len(placed), _BROKER_BATCH)
            placements += plan.placements
        return placements


def policy_names() -> list[str]:
    """Every policy the simulator runs: the scheduler's registry (but `cheapest`, which runs
    as the objective `cost`), the broker, and c2net's objectives."""
    return [*(p for p in sorted(POLICIES) if p != "cheapest"), BROKER, *OBJECTIVES]


def make_dispatcher(name: str, centers: int) -> tuple[Dispatcher, str]:
    """A fresh dispatcher (stateful policies such as round-robin start from scratch) and the
    objective its jobs carry (`cost` unless the name is one of c2net's objectives)."""
    if name == BROKER:
        return BrokerDispatcher(centers), "cost"
    if name in OBJECTIVES:
        return GlobalDispatcher(copy.deepcopy(get_policy("cheapest")), name), OBJECTIVES[name]
    return GlobalDispatcher(copy.deepcopy(get_policy(name))), "cost"
