"""What a run bought: cost, waiting, utilization, fairness, diversion west, carbon.

Every number is computed from the run's records (jobs, attempts, bill) and the scenario; the
definitions are written next to each function and in docs/simulator.md.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from c2net.model import Center, Resources
from c2net.scheduler.fairness import jain_index
from c2net.sim.bound import MAX_VARIABLES, lp_bound
from c2net.sim.engine import PREEMPTED, AttemptRecord, JobRecord, RunResult
from c2net.sim.scenario import Scenario

__all__ = [
    "Metrics",
    "jain_index",
    "measure",
    "percentiles",
    "utilization_bins",
]

_BINS = 24
_MIN_RUN = 10.0  # seconds: the bound in bounded slowdown (short jobs do not dominate)


@dataclass(frozen=True)
class Metrics:
    policy: str
    jobs: int
    completed: int
    unplaceable: int
    failed: int
    stuck: int
    cost: float
    currency: str
    unit: str  # what utilization counts: "gpus" or "cpus"
    unit_hours: float  # billed device-hours of completed attempts
    cost_per_unit_hour: float
    cost_lower_bound: float  # the LP bound where it was computed, else the simple one
    cost_bound_method: str  # "lp" or "simple"
    cost_lower_bound_simple: float
    wait_mean_s: float
    wait_p50_s: float
    wait_p95_s: float
    wait_p99_s: float
    makespan_h: float
    utilization: float
    utilization_by_center: dict[str, float]
    jain_fairness: float
    west_share: float
    carbon_kg: float
    preemptions: int
    lost_to_failures: int
    mean_rtt_ms: float
    cycles: int
    window_h: tuple[float, float] = (0.0, 0.0)
    utilization_by_hub: dict[str, list[float]] = field(default_factory=dict)
    waits_s: list[float] = field(default_factory=list, repr=False)

    def summary(self) -> dict[str, Any]:
        """The JSON form without the per-job waits (kept for the CDF plot)."""
        out = asdict(self)
        out.pop("waits_s")
        return out


def percentiles(values: Sequence[float], qs: Sequence[float]) -> list[float]:
    """Linear-interpolation percentiles (numpy's default); 0 for no values."""
    if not values:
        return [0.0 for _ in qs]
    return [float(x) for x in np.percentile(np.asarray(values, dtype=float), list(qs))]


def _units(res: Resources, unit: str) -> float:
    return float(sum(res.accelerators.values())) if unit == "gpus" else res.cpus


def _arrays(
    attempts: Sequence[AttemptRecord], end: float, unit: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start, stop (running ones: `end`) and units of every attempt."""
    starts = np.fromiter((a.start for a in attempts), float, len(attempts))
    stops = np.fromiter((end if a.end is None else a.end for a in attempts), float, len(attempts))
    units = np.fromiter((_units(a.resources, unit) for a in attempts), float, len(attempts))
    return starts, stops, units


def _busy_by(
    edges: np.ndarray, starts: np.ndarray, stops: np.ndarray, units: np.ndarray, group: np.ndarray
) -> np.ndarray:
    """(groups, bins) busy unit-seconds: per group, the integral of busy units over each bin, as
    differences of the cumulative busy time F(t) = sum units x clip(min(t, stop) - start, 0)."""
    groups = int(group.max()) + 1 if len(group) else 0
    cumulative = np.stack(
        [
            np.bincount(group, units * np.clip(np.minimum(t, stops) - starts, 0, None), groups)
            for t in edges
        ],
        axis=1,
    ).reshape(groups, len(edges))
    out: np.ndarray = np.diff(cumulative, axis=1)
    return out


def utilization_bins(
    attempts: Sequence[AttemptRecord],
    capacity: float,
    start: float,
    end: float,
    bins: int,
    unit: str,
) -> list[float]:
    """Share of `capacity` busy in each of `bins` equal slices of [start, end]."""
    if end <= start or capacity <= 0 or not attempts:
        return [0.0] * bins
    edges = np.linspace(start, end, bins + 1)
    starts, stops, units = _arrays(attempts, end, unit)
    busy = _busy_by(edges, starts, stops, units, np.zeros(len(attempts), dtype=np.int64))[0]
    return [float(x) for x in busy / (capacity * (edges[1] - edges[0]))]


def _floor_cents(value: float, lines: int) -> float:
    """Down to the cent, less the bill's rounding (each line is kept to a millionth)."""
    return math.floor((value - 5e-7 * lines) * 100) / 100


def _fairness(jobs: Sequence[JobRecord]) -> float:
    """Jain over tenants of 1 / (tenant's mean bounded slowdown); slowdown = (wait + run) / run
    with run at least 10 s, at least 1."""
    by_tenant: dict[str, list[float]] = defaultdict(list)
    for j in jobs:
        if j.first_start is not None:
            wait = j.first_start - j.submit
            by_tenant[j.tenant].append(max(1.0, (wait + j.duration) / max(j.duration, _MIN_RUN)))
    return jain_index([1.0 / float(np.mean(v)) for v in by_tenant.values()])


def _carbon_kg(result: RunResult, scenario: Scenario) -> float:
    """Every attempt (lost ones used the energy too): watts x hours x PUE x grid g/kWh."""
    hub = {c.name: c.hub for c in scenario.centers}
    net, grams = scenario.network, 0.0
    for a in result.attempts:
        if a.end is None:
            continue
        kwh = scenario.power.watts(a.resources) * (a.end - a.start) / 3600 / 1000
        grams += kwh * net.pue_of(a.center, hub[a.center]) * net.carbon(hub[a.center])
    return grams / 1000


def _window(result: RunResult) -> tuple[float, float]:
    """Utilization is measured while the trace arrives (first to last submit)."""
    if not result.jobs:
        return 0.0, 0.0
    start, end = result.jobs[0].submit, max(j.submit for j in result.jobs)
    return (start, end) if end > start else (start, result.end_time)


def _mean_rtt(result: RunResult, scenario: Scenario) -> float:
    hub = {c.name: c.hub for c in scenario.centers}
    rtts = [
        r
        for j in result.jobs
        if j.center is not None
        and j.home
        and math.isfinite(r := scenario.network.rtt(j.home, hub[j.center]))
    ]
    return float(np.mean(rtts)) if rtts else 0.0


def _utilization(
    result: RunResult, centers: Sequence[Center], unit: str, window: tuple[float, float]
) -> tuple[float, dict[str, float], dict[str, list[float]]]:
    """Overall and per-center utilization over the window, and per hub in _BINS slices."""
    start, end = window
    cap = np.array([_units(c.capacity, unit) for c in centers], dtype=float)
    hubs = sorted({c.hub for c in centers}, key=[c.hub for c in centers].index)
    hub_of = np.array([hubs.index(c.hub) for c in centers], dtype=np.int64)
    hub_cap = np.bincount(hub_of, cap, len(hubs))
    if end <= start or not result.attempts:
        zero = {c.name: 0.0 for c in centers}
        return 0.0, zero, {h: [0.0] * _BINS for h in hubs}
    index = {c.name: i for i, c in enumerate(centers)}
    center = np.array([index[a.center] for a in result.attempts], dtype=np.int64)
    starts, stops, units = _arrays(result.attempts, end, unit)
    span = end - start
    busy = _busy_by(np.array([start, end]), starts, stops, units, center)[:, 0]
    busy = np.pad(busy, (0, len(centers) - len(busy)))
    with np.errstate(divide="ignore", invalid="ignore"):
        by_center = np.where(cap > 0, busy / (cap * span), 0.0)
    edges = np.linspace(start, end, _BINS + 1)
    by_bin = _busy_by(edges, starts, stops, units, hub_of[center])
    by_bin = np.pad(by_bin, ((0, len(hubs) - len(by_bin)), (0, 0)))
    width = edges[1] - edges[0]
    by_hub = {
        h: [float(x) for x in by_bin[i] / (hub_cap[i] * width)] if hub_cap[i] > 0 else [0.0] * _BINS
        for i, h in enumerate(hubs)
    }
    total = float(cap.sum())
    overall = float(busy.sum()) / (total * span) if total else 0.0
    names = [c.name for c in centers]
    return overall, {n: float(v) for n, v in zip(names, by_center, strict=True)}, by_hub


def measure(
    result: RunResult, scenario: Scenario, max_lp_variables: int = MAX_VARIABLES
) -> Metrics:
    """Metrics of one run of one policy; the cost's LP lower bound where its LP has at most
    `max_lp_variables` variables (0: never), else the simple bound."""
    centers = scenario.centers
    unit = "gpus" if any(c.capacity.accelerators for c in centers) else "cpus"
    done = [a for a in result.attempts if a.state == "SUCCEEDED" and a.end is not None]
    unit_hours = sum(_units(a.resources, unit) * (a.end - a.start) for a in done if a.end) / 3600
    role = {c.name: c.role for c in centers}
    west = sum(
        _units(a.resources, unit) * (a.end - a.start)
        for a in done
        if a.end and role[a.center] == "west"
    )
    waits = [j.first_start - j.submit for j in result.jobs if j.first_start is not None]
    p50, p95, p99 = percentiles(waits, (50, 95, 99))
    start, end = _window(result)
    overall, by_center, by_hub = _utilization(result, centers, unit, (start, end))
    cost = float(result.bill.total)
    bound = lp_bound(result.jobs, centers, max_lp_variables)
    ends = [j.end for j in result.jobs if j.end is not None]
    return Metrics(
        policy=result.policy,
        jobs=len(result.jobs),
        completed=len(ends),
        unplaceable=len(result.unplaceable),
        failed=len(result.failed),
        stuck=len(result.stuck),
        cost=round(cost, 2),
        currency=result.bill.currency,
        unit=unit,
        unit_hours=round(unit_hours, 2),
        cost_per_unit_hour=round(cost / unit_hours, 4) if unit_hours else 0.0,
        cost_lower_bound=_floor_cents(max(bound.value, bound.simple), len(result.attempts)),
        cost_bound_method=bound.method,
        cost_lower_bound_simple=_floor_cents(bound.simple, len(result.attempts)),
        wait_mean_s=round(float(np.mean(waits)) if waits else 0.0, 1),
        wait_p50_s=round(p50, 1),
        wait_p95_s=round(p95, 1),
        wait_p99_s=round(p99, 1),
        makespan_h=round((max(ends) - result.jobs[0].submit) / 3600, 2) if ends else 0.0,
        utilization=round(overall, 4),
        utilization_by_center={k: round(v, 4) for k, v in by_center.items()},
        jain_fairness=round(_fairness(result.jobs), 4),
        west_share=round(west / 3600 / unit_hours, 4) if unit_hours else 0.0,
        carbon_kg=round(_carbon_kg(result, scenario), 1),
        preemptions=sum(a.cause == PREEMPTED for a in result.attempts),
        lost_to_failures=sum(a.state == "LOST" and a.cause != PREEMPTED for a in result.attempts),
        mean_rtt_ms=round(_mean_rtt(result, scenario), 2),
        cycles=result.cycles,
        window_h=(round(start / 3600, 3), round(end / 3600, 3)),
        utilization_by_hub={h: [round(x, 4) for x in s] for h, s in by_hub.items()},
        waits_s=waits,
    )
