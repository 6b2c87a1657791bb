"""Prometheus `/metrics`: the gateway's state in the text exposition format, for operators'
own tools (an operator token is required: the numbers cover every account). Every scrape reads
the store afresh (nothing is cached here), so the numbers match the REST API at the moment of
the scrape. Metric names are documented in docs/metrics.md."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from sqlalchemy import func, select

from c2net import __version__
from c2net.gateway.auth import Caller, require
from c2net.gateway.deps import Gateway, gateway
from c2net.gateway.loop import CYCLE_BUCKETS, SchedulingLoop
from c2net.gateway.views import CURRENCY, attempt_line
from c2net.market import Bill
from c2net.model import JobState, Role
from c2net.store import CenterStatus, Store
from c2net.store.schema import attempts, jobs

__all__ = ["CONTENT_TYPE", "QUEUE_WAIT_BUCKETS", "GatewayCollector", "router"]

router = APIRouter(tags=["meta"])

# The classic text format, which every Prometheus scrapes; every name here is a legacy name.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Upper bounds (seconds) of the queue-wait histogram: from half a second to a day.
QUEUE_WAIT_BUCKETS: tuple[float, ...] = (
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    300.0,
    900.0,
    3600.0,
    14400.0,
    86400.0,
)


def _buckets(bounds: Sequence[float], counts: Sequence[int]) -> list[tuple[str, float]]:
    """Cumulative (le, count) pairs from per-bucket counts (the last count is above all bounds)."""
    out: list[tuple[str, float]] = []
    running = 0
    for bound, n in zip([*bounds, float("inf")], counts, strict=True):
        running += n
        out.append(("+Inf" if bound == float("inf") else repr(bound), float(running)))
    return out


# Aggregate reads the Store has no method for yet (they belong in it, as a stats repository):
# one grouped query each instead of loading every job. They use the store's read guard, which
# keeps a read off the shared connection of an in-memory database while a write is open.


def _job_counts(store: Store) -> dict[JobState, int]:
    with store._read() as conn:
        rows = conn.execute(select(jobs.c.state, func.count()).group_by(jobs.c.state)).all()
    found = {JobState(state): int(n) for state, n in rows}
    return {s: found.get(s, 0) for s in JobState}


def _attempt_counts(store: Store) -> dict[JobState, int]:
    with store._read() as conn:
        rows = conn.execute(select(attempts.c.state, func.count()).group_by(attempts.c.state)).all()
    found = {JobState(state): int(n) for state, n in rows}
    return {s: found.get(s, 0) for s in JobState if s is not JobState.PENDING}


def _queue_waits(store: Store) -> list[float]:
    """Seconds from each job's submission to the start of its first attempt (jobs that never
    started are not counted: their wait is not over)."""
    first_start = func.min(attempts.c.started_at)
    query = (
        select(jobs.c.submitted_at, first_start)
        .join(attempts, attempts.c.job_id == jobs.c.id)
        .group_by(jobs.c.id, jobs.c.submitted_at)
        .having(first_start.is_not(None))
    )
    with store._read() as conn:
        return [max(float(start) - float(sub), 0.0) for sub, start in conn.execute(query)]


def _jobs(store: Store) -> Iterator[Metric]:
    counts = _job_counts(store)
    by_state = GaugeMetricFamily("c2net_jobs", "Jobs in each state.", labels=["state"])
    for state, n in counts.items():
        by_state.add_metric([state.value], n)
    yield by_state
    yield CounterMetricFamily(
        "c2net_jobs_submitted", "Jobs submitted since the database was made.", sum(counts.values())
    )
    tries = GaugeMetricFamily("c2net_attempts", "Attempts in each state.", labels=["state"])
    for state, n in _attempt_counts(store).items():
        tries.add_metric([state.value], n)
    yield tries
    waits = _queue_waits(store)
    counts_per_bucket = [0] * (len(QUEUE_WAIT_BUCKETS) + 1)
    for w in waits:
        counts_per_bucket[bisect.bisect_left(QUEUE_WAIT_BUCKETS, w)] += 1
    yield HistogramMetricFamily(
        "c2net_job_queue_wait_seconds",
        "Seconds from submission to the start of the job's first attempt.",
        buckets=_buckets(QUEUE_WAIT_BUCKETS, counts_per_bucket),
        sum_value=sum(waits),
    )


def _scheduling(loop: SchedulingLoop) -> Iterator[Metric]:
    t = loop.totals()
    yield CounterMetricFamily("c2net_scheduling_cycles", "Scheduling cycles run.", t.cycles)
    yield CounterMetricFamily(
        "c2net_scheduling_cycles_failed", "Scheduling cycles that raised an error.", t.failed
    )
    yield HistogramMetricFamily(
        "c2net_scheduling_cycle_seconds",
        "Wall time of one scheduling cycle (expire, snapshot, schedule, commit).",
        buckets=_buckets(CYCLE_BUCKETS, t.buckets),
        sum_value=t.seconds,
    )
    yield CounterMetricFamily(
        "c2net_scheduling_placements",
        "Jobs placed on a center by the scheduler (rate() gives placements per second).",
        t.placed,
    )
    yield CounterMetricFamily(
        "c2net_scheduling_preemptions",
        "Spot attempts stopped to make room for on-demand work (SIGTERM, grace, requeue).",
        t.preempted,
    )
    yield CounterMetricFamily(
        "c2net_scheduling_placements_west",
        "Placements at centers of western hubs (East Data, West Computing).",
        t.placed_west,
    )
    yield CounterMetricFamily(
        "c2net_scheduling_diverted_west",
        "Placements at western hubs of jobs whose consumer's home hub is not western.",
        t.diverted_west,
    )
    yield CounterMetricFamily(
        "c2net_scheduling_attempts_lost",
        "Attempts ended as LOST because their center stopped renewing the lease.",
        t.lost,
    )
    last = loop.last
    if last is not None:
        yield GaugeMetricFamily(
            "c2net_scheduling_last_cycle_queued", "Jobs queued in the last cycle.", last.queued
        )
        yield GaugeMetricFamily(
            "c2net_scheduling_last_cycle_placed", "Jobs placed in the last cycle.", last.placed
        )
        yield GaugeMetricFamily(
            "c2net_scheduling_last_cycle_timestamp_seconds",
            "When the last cycle ran (gateway clock, seconds since the epoch).",
            last.at,
        )


def _gauge(name: str, doc: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=labels)


def _centers(statuses: Iterable[CenterStatus], now: float) -> Iterator[Metric]:
    info = _gauge(
        "c2net_center_info", "A center, always 1.", ["center", "hub", "region", "role", "backend"]
    )
    healthy = _gauge(
        "c2net_center_healthy", "1 when the center's agent is heartbeating.", ["center"]
    )
    age = _gauge(
        "c2net_center_heartbeat_age_seconds", "Seconds since the last heartbeat.", ["center"]
    )
    running = _gauge(
        "c2net_center_running_attempts",
        "Attempts assigned to or running at the center.",
        ["center"],
    )
    cap_cpus = _gauge("c2net_center_capacity_cpus", "CPUs the center offers.", ["center"])
    used_cpus = _gauge("c2net_center_used_cpus", "CPUs held by active attempts.", ["center"])
    cap_mem = _gauge("c2net_center_capacity_memory_gb", "Memory (GB) offered.", ["center"])
    used_mem = _gauge("c2net_center_used_memory_gb", "Memory (GB) held.", ["center"])
    cap_acc = _gauge(
        "c2net_center_capacity_accelerators", "Accelerators offered.", ["center", "accelerator"]
    )
    used_acc = _gauge(
        "c2net_center_used_accelerators", "Accelerators held.", ["center", "accelerator"]
    )
    price = _gauge(
        "c2net_center_price_per_hour",
        "Price per hour: item is cpu, memory_gb or an accelerator type (per unit), or "
        "node:<pool> (a whole node rented, as a cloud VM).",
        ["center", "item", "currency"],
    )
    for s in statuses:
        c, name = s.center, s.center.name
        info.add_metric([name, c.hub, c.region, c.role, c.backend], 1)
        healthy.add_metric([name], 1 if c.health.value == "HEALTHY" else 0)
        age.add_metric([name], max(now - s.last_heartbeat, 0.0))
        running.add_metric([name], s.running_jobs)
        cap_cpus.add_metric([name], c.capacity.cpus)
        used_cpus.add_metric([name], s.used.cpus)
        cap_mem.add_metric([name], c.capacity.memory_gb)
        used_mem.add_metric([name], s.used.memory_gb)
        for kind, n in sorted(c.capacity.accelerators.items()):
            cap_acc.add_metric([name, kind], n)
            used_acc.add_metric([name, kind], s.used.accelerators.get(kind, 0))
        p = c.prices
        rented = [(pool.name, pool.price) for pool in c.pools if pool.price is not None]
        for pool_name, node_price in rented:
            price.add_metric([name, f"node:{pool_name}", p.currency], node_price)
        if not rented:
            price.add_metric([name, "cpu", p.currency], p.cpu_hour)
            price.add_metric([name, "memory_gb", p.currency], p.memory_gb_hour)
        for kind, unit in sorted(p.accelerator_hour.items()):
            price.add_metric([name, kind, p.currency], unit)
    yield from (info, healthy, age, running, cap_cpus, used_cpus, cap_mem, used_mem)
    yield from (cap_acc, used_acc, price)


def _revenue(store: Store, now: float) -> Iterator[Metric]:
    lines = [attempt_line(a, name, now) for a, name in store.all_attempts()]
    bill = Bill.of(lines, CURRENCY)
    revenue = _gauge(
        "c2net_revenue",
        "Billed cost of every attempt by center, as on GET /v1/bill (running attempts metered "
        "to now; lost attempts are not billed).",
        ["center", "currency"],
    )
    for center, amount in bill.by_center.items():
        revenue.add_metric([center, bill.currency], float(amount))
    yield revenue
    yield GaugeMetricFamily(
        "c2net_billed_wall_seconds", "Wall seconds of every billed attempt.", bill.wall_seconds
    )


class GatewayCollector:
    """Collects everything /metrics shows from one gateway's store and scheduling loop."""

    def __init__(self, gw: Gateway) -> None:
        self.gw = gw

    def collect(self) -> Iterable[Metric]:
        now = self.gw.clock.now()
        build = GaugeMetricFamily("c2net_build_info", "The gateway's version.", labels=["version"])
        build.add_metric([__version__], 1)
        yield build
        yield from _jobs(self.gw.store)
        yield from _scheduling(self.gw.loop)
        yield from _centers(self.gw.store.centers(now), now)
        yield from _revenue(self.gw.store, now)


@router.get("/metrics", response_class=Response, summary="Prometheus metrics (text format)")
def metrics(gw: Annotated[Gateway, Depends(gateway)], who: Caller) -> Response:
    require(who, Role.OPERATOR)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(GatewayCollector(gw))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE)
