"""The discrete-event engine: a trace replayed on a simulated clock through the production
scheduler (`schedule()`, via a Dispatcher) and market (`make_line`, `Bill`).

Attempt ends, spot preemptions, center failures and scheduler cycles are events on a heap
ordered by (time, sequence); arrivals are read from the trace in (submit, position) order and
come before any heap event at the same time. The scheduler runs on cycle boundaries (every
`cycle_seconds`) when something changed since its last run. All randomness comes from one
`random.Random(seed)`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from c2net.clock import ManualClock
from c2net.market import Bill, BillLine, make_line
from c2net.model import JobSpec, Placement, Resources
from c2net.scheduler import QueuedJob, Snapshot, schedule
from c2net.sim.dispatch import Dispatcher, Waiting, make_dispatcher
from c2net.sim.events import EventKind, EventQueue
from c2net.sim.pool import Pool, request_key
from c2net.sim.scenario import Scenario, estimate_hours

__all__ = ["AttemptRecord", "JobRecord", "RunResult", "simulate"]

PREEMPTED = "spot preemption"
CENTER_FAILED = "center failed"


@dataclass
class JobRecord:
    id: int
    submit: float
    duration: float
    resources: Resources
    tenant: str
    home: str
    first_start: float | None = None
    end: float | None = None
    center: str | None = None  # where it finished
    attempts: int = 0


@dataclass
class AttemptRecord:
    job: int  # index into RunResult.jobs
    number: int
    center: str
    node: int
    resources: Resources
    price_per_hour: float
    start: float
    end: float | None = None
    state: str = "RUNNING"  # SUCCEEDED, or LOST (not billed) with a cause
    cause: str = ""


@dataclass
class RunResult:
    policy: str
    jobs: list[JobRecord]
    attempts: list[AttemptRecord]
    bill: Bill
    unplaceable: dict[int, str] = field(default_factory=dict)  # job id -> the scheduler's reason
    stuck: list[int] = field(default_factory=list)  # still queued when nothing was left to happen
    failed: list[int] = field(default_factory=list)  # lost max_attempts times, given up
    cycles: int = 0
    end_time: float = 0.0


class _Run:
    def __init__(self, scenario: Scenario, policy: str) -> None:
        self.sc = scenario
        self.pool = Pool(scenario.centers, scenario.network)
        self.dispatcher: Dispatcher
        self.dispatcher, self.objective = make_dispatcher(policy, len(scenario.centers))
        self.rng = random.Random(scenario.seed)
        self.clock = ManualClock(0.0)
        self.events = EventQueue()
        self.jobs = [
            JobRecord(a.id, a.submit, a.duration, a.resources, a.tenant, a.home)
            for a in scenario.arrivals
        ]
        self.job_index = {j.id: i for i, j in enumerate(self.jobs)}
        self.attempts: list[AttemptRecord] = []
        self.lines: list[BillLine] = []
        self.unplaceable: dict[int, str] = {}
        self.reasons: dict[tuple[object, ...], str] = {}  # request -> why no center can hold it
        self.described: dict[tuple[object, ...], str] = {}
        self.failed: list[int] = []
        self.cycle_pending = False
        self.cycles = 0

    def _spec(self, job: JobRecord) -> JobSpec:
        return JobSpec(
            run="sim",
            name=f"job-{job.id}",
            resources=job.resources,
            runtime_hours=estimate_hours(job.duration, self.sc.runtime_estimate),
            objective=self.objective,
        )

    def _describe(self, res: Resources) -> str:
        key = request_key(res)
        text = self.described.get(key)
        if text is None:
            text = self.described[key] = res.describe()
        return text

    def _waiting(self, job: JobRecord, vector: np.ndarray) -> Waiting:
        return Waiting(job.submit, job.id, self._spec(job), vector, job.tenant, job.home)

    def _changed(self) -> None:
        if not self.cycle_pending:
            period = self.sc.cycle_seconds
            self.events.push(math.ceil(self.clock.now() / period) * period, EventKind.CYCLE)
            self.cycle_pending = True

    def _arrive(self, ji: int) -> None:
        job = self.jobs[ji]
        vector = self.pool.fitting_vector(job.resources)
        if vector is None:
            key = request_key(job.resources)
            if key not in self.reasons:
                idle = Snapshot.idle(self.sc.centers, self.clock.now())
                queued = [QueuedJob(job.id, self._spec(job), job.submit)]
                plan = schedule(idle, queued, "first-fit", self.clock)
                self.reasons[key] = plan.pending[0].message if plan.pending else "unplaceable"
            self.unplaceable[job.id] = self.reasons[key]
            return
        self.dispatcher.add(self._waiting(job, vector))
        self._changed()

    def _start(self, p: Placement) -> None:
        ji = self.job_index[p.job_id]
        job, now = self.jobs[ji], self.clock.now()
        ci = self.pool.index[p.center]
        self.pool.allocate(ci, p.node, p.resources)
        job.attempts += 1
        if job.first_start is None:
            job.first_start = now
        ai = len(self.attempts)
        self.attempts.append(
            AttemptRecord(ji, job.attempts, p.center, p.node, p.resources, p.price_per_hour, now)
        )
        rate = self.sc.sites[p.center].preemptions_per_hour if p.center in self.sc.sites else 0.0
        cut = self.rng.expovariate(rate / 3600) if rate > 0 else math.inf
        if cut < job.duration:
            self.events.push(now + cut, EventKind.PREEMPT, ai)
        else:
            self.events.push(now + job.duration, EventKind.END, ai)

    def _finish(self, ai: int, state: str, cause: str = "") -> None:
        a = self.attempts[ai]
        if a.state != "RUNNING":
            return  # already lost with its center
        now = self.clock.now()
        a.end, a.state, a.cause = now, state, cause
        job = self.jobs[a.job]
        self.pool.release(self.pool.index[a.center], a.node, a.resources)
        self.lines.append(
            make_line(
                job_id=job.id,
                job_name=f"job-{job.id}",
                attempt=a.number,
                center=a.center,
                resources=self._describe(a.resources),
                state=state,
                started_at=a.start,
                ended_at=now,
                wall_seconds=now - a.start,
                price_per_hour=a.price_per_hour,
            )
        )
        if state == "SUCCEEDED":
            job.end, job.center = now, a.center
        elif job.attempts >= self.sc.max_attempts:
            self.failed.append(job.id)
        else:  # back to the queue, keeping its place (submit time)
            vector = self.pool.fitting_vector(job.resources)
            assert vector is not None
            self.dispatcher.add(self._waiting(job, vector))
        self._changed()

    def _fail(self, ci: int, down: bool) -> None:
        self.pool.set_health(ci, not down)
        if down:
            name = self.pool.centers[ci].name
            for ai, a in enumerate(self.attempts):
                if a.state == "RUNNING" and a.center == name:
                    self._finish(ai, "LOST", CENTER_FAILED)
        self._changed()

    def _cycle(self) -> None:
        self.cycle_pending = False
        self.cycles += 1
        for p in self.dispatcher.dispatch(self.pool, self.clock, self.rng):
            self._start(p)
        if self.dispatcher.saturated():
            self._changed()

    def _handle(self, kind: EventKind, payload: int) -> None:
        if kind is EventKind.END:
            self._finish(payload, "SUCCEEDED")
        elif kind is EventKind.PREEMPT:
            self._finish(payload, "LOST", PREEMPTED)
        elif kind in (EventKind.FAIL, EventKind.RECOVER):
            self._fail(payload, kind is EventKind.FAIL)
        else:
            self._cycle()

    def run(self, progress: Callable[[int, int], None] | None) -> RunResult:
        # Arrivals come from the trace in (submit, index) order, ahead of any heap event at the
        # same time (as if pushed first): no heap entry per job.
        order = sorted(range(len(self.jobs)), key=lambda i: (self.jobs[i].submit, i))
        for f in self.sc.failures:
            ci = self.pool.index[f.center]
            self.events.push(f.at, EventKind.FAIL, ci)
            self.events.push(f.at + f.duration, EventKind.RECOVER, ci)
        arrived, total = 0, len(order)
        while arrived < total or self.events:
            if arrived < total and self.jobs[order[arrived]].submit <= self.events.next_time():
                ji = order[arrived]
                self.clock.advance(self.jobs[ji].submit - self.clock.now())
                self._arrive(ji)
                arrived += 1
                if progress and (arrived % 256 == 0 or arrived == total):
                    progress(arrived, total)
                continue
            ev = self.events.pop()
            self.clock.advance(ev.time - self.clock.now())
            self._handle(ev.kind, ev.payload)
        stuck = sorted(w.id for w in self.dispatcher.waiting())
        return RunResult(
            policy=self.dispatcher.name,
            jobs=self.jobs,
            attempts=self.attempts,
            bill=Bill.of(self.lines),
            unplaceable=self.unplaceable,
            stuck=stuck,
            failed=self.failed,
            cycles=self.cycles,
            end_time=self.clock.now(),
        )


def simulate(
    scenario: Scenario, policy: str, progress: Callable[[int, int], None] | None = None
) -> RunResult:
    """Replay the scenario's arrivals under one policy; same scenario and seed, same result."""
    return _Run(scenario, policy).run(progress)
