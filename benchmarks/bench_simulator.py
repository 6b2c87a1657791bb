"""The simulator end to end: `simulate()` then `measure()` (metrics and the cost's lower bound).

Cases: the default scenario (the Alibaba trace's 8,152 pods over the ten national clusters)
under c2net's `cost` objective, and the synthetic national-scale scenario
(`c2net/data/scenarios/synthetic.yaml`: 1,000,000 jobs over 1,000 centers, generated from its
seed; generation is not timed) under `cost`. The baseline is the `first-fit` policy (what a plain
federation does) on the identical scenario in the same run: the ratio says what ranking every
job's centers by price, and the scheduler's LP re-placement, cost in simulation time.
`--quick`: the first 1,000 pods, and 20,000 jobs x 100 centers.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from benchmarks.harness import Result
from c2net.sim import Metrics, measure, simulate
from c2net.sim.scenario import Scenario, parse_scenario

POLICY, BASELINE = "cost", "first-fit"


def _scenario(name: str, **changes: dict[str, Any]) -> Scenario:
    """A shipped scenario with some of its sections updated (`trace`, `synthetic`)."""
    text = (resources.files("c2net") / "data" / "scenarios" / f"{name}.yaml").read_text()
    data: dict[str, Any] = yaml.safe_load(text)
    for key, update in changes.items():
        data[key] = {**data[key], **update}
    return parse_scenario(data)


@dataclass
class _Timing:
    seconds: float  # median of simulate + measure
    simulate_s: float  # of the last repeat
    measure_s: float
    cpu_s: float  # process CPU seconds of the last repeat (the machine may be shared)
    metrics: Metrics
    cycles: int


def _timed(sc: Scenario, policy: str, repeat: int) -> _Timing:
    totals: list[float] = []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        result = simulate(sc, policy)
        mid = time.perf_counter()
        metrics = measure(result, sc)
        end = time.perf_counter()
        totals.append(end - start)
        cpu = time.process_time() - cpu
    median = statistics.median(totals)
    return _Timing(median, mid - start, end - mid, cpu, metrics, result.cycles)


def _case(name: str, sc: Scenario, repeat: int) -> Result:
    ours, base = _timed(sc, POLICY, repeat), _timed(sc, BASELINE, repeat)
    m = ours.metrics
    extra: dict[str, float | str] = {
        "jobs": float(len(sc.arrivals)),
        "centers": float(len(sc.centers)),
        "simulate_s": ours.simulate_s,
        "measure_s": ours.measure_s,
        "cpu_s": ours.cpu_s,
        "baseline_cpu_s": base.cpu_s,
        "cycles": float(ours.cycles),
        "jobs_per_s": len(sc.arrivals) / ours.seconds,
        "cost": m.cost,
        "cost_first_fit": base.metrics.cost,
        "lower_bound": m.cost_lower_bound,
        "bound": m.cost_bound_method,
        "wait_p95_s": m.wait_p95_s,
        "utilization": m.utilization,
    }
    how = f"{BASELINE} policy, same scenario, same run"
    return Result("simulator", name, ours.seconds, base.seconds, how, extra)


def run(quick: bool = False) -> list[Result]:
    if quick:
        return [
            _case(
                "default scenario, first 1,000 pods",
                _scenario("national", trace={"limit": 1_000}),
                1,
            ),
            _case(
                "synthetic 20,000 jobs x 100 centers",
                _scenario("synthetic", synthetic={"jobs": 20_000, "centers": 100}),
                1,
            ),
        ]
    return [
        _case("default scenario (8,152 pods x 10 centers)", _scenario("national"), 3),
        _case("synthetic 1,000,000 jobs x 1,000 centers", _scenario("synthetic"), 1),
    ]
