"""Cycle cost: greedy and optimised plans against the LP lower bound, on workloads drawn from
the Alibaba GPU trace (openb_pod_list_default.csv, ATC'23).

Network: the built-in national network (network.yaml, eight hubs) replicated `copies` times with
prices perturbed +-15% (seeded), so many centers compete. Jobs: pods sampled from the trace
(seeded): cpus = cpu_milli / 1000, memory = memory_mib / 1024, GPUs = num_gpu (GPU-sharing pods
rounded up to one GPU), runtime = deletion - creation, clipped to 0.05-72 h. The trace names no
GPU model, so a GPU pod may run on any type the network sells (`any_of`, runtime given on the
first, others estimated from the catalogue's dense FP16): exactly where greedy, job by job, can
leave cost on the table. The sample is sized to exceed capacity (contention).

Timed (median of 3): `schedule(optimize=True)` as a cycle runs it (greedy, then the optimiser
with at most two LPs), against the plain per-job loop (cheapest center with a fitting node, per
job, trying every option), whose plan cost is noted too; `greedy_ms` is the same call with
`optimize=False`. Reported per workload: the greedy and optimised plans' costs; `lp_optimum`,
the LP lower bound on placing the same jobs (node boundaries relaxed: no plan can be cheaper),
solved to optimality in a separate untimed call (`lp_rounds=None`); both plans' gaps to it;
`lp_bound`, the bound the timed cycle itself proves (a Lagrangian bound <= lp_optimum), and
`certified_gap_pct`, the optimised plan's gap to that.
"""

from __future__ import annotations

import csv
import random
from importlib import resources as pkg_resources

from benchmarks.harness import Result, timed
from c2net.model import Center, JobSpec, NodePool, Prices, Resources
from c2net.model.accelerators import builtin_catalogue
from c2net.network import load_network, parse_center
from c2net.scheduler import QueuedJob, Snapshot, schedule
from c2net.scheduler.classes import options_for

TRACE = "openb_pod_list_default.csv"


def _network(copies: int, rng: random.Random) -> list[Center]:
    base = [parse_center(c) for c in load_network()]
    out = []
    for k in range(copies):
        for c in base:
            f = rng.uniform(0.85, 1.15)
            prices = Prices(
                c.prices.cpu_hour * f,
                c.prices.memory_gb_hour * f,
                {t: p * rng.uniform(0.85, 1.15) for t, p in c.prices.accelerator_hour.items()},
            )
            pools = tuple(NodePool(p.name, p.count, p.shape) for p in c.pools)
            out.append(Center(f"{c.name}-{k}", c.hub, c.region, pools, prices, role=c.role))
    return out


def _pods() -> list[dict[str, str]]:
    text = (pkg_resources.files("c2net") / "data" / "traces" / TRACE).read_text()
    return list(csv.DictReader(text.splitlines()))


def _jobs(
    pods: list[dict[str, str]], n: int, types: list[str], rng: random.Random
) -> list[QueuedJob]:
    out = []
    for i, pod in enumerate(rng.sample(pods, n)):
        gpus = int(pod["num_gpu"])
        hours = (int(pod["deletion_time"] or 0) - int(pod["creation_time"] or 0)) / 3600
        cpus = max(int(pod["cpu_milli"]) / 1000, 0.5)
        memory = max(int(pod["memory_mib"]) / 1024, 0.5)
        options = tuple((t, gpus) for t in rng.sample(types, len(types))) if gpus else ()
        spec = JobSpec(
            run="trace",
            resources=Resources(cpus, memory, dict(options[:1])),
            runtime_hours=min(max(hours, 0.05), 72.0),
            accelerator_options=options,
        )
        out.append(QueuedJob(i, spec))
    return out


def _baseline(snapshot: Snapshot, queue: list[QueuedJob]) -> tuple[int, float]:
    """Per job, per option, per center, per node: the cheapest center with a fitting node now."""
    catalogue = builtin_catalogue()
    free = {
        c.name: list(nodes) for c, nodes in zip(snapshot.centers, snapshot.node_free, strict=True)
    }
    placed, cost = 0, 0.0
    for job in queue:
        best: tuple[float, str, int, Resources] | None = None
        for option in options_for(job.spec, catalogue):
            for c in snapshot.centers:
                price = c.prices.hourly(option.request)
                if price is None:
                    continue
                for i, room in enumerate(free[c.name]):
                    if option.request.fits_in(room):
                        if best is None or price * option.hours < best[0]:
                            best = (price * option.hours, c.name, i, option.request)
                        break
        if best:
            value, name, i, request = best
            free[name][i] = free[name][i] - request
            placed, cost = placed + 1, cost + value
    return placed, cost


def run(quick: bool = False) -> list[Result]:
    pods = _pods()
    cases = [(2, 300, 1)] if quick else [(2, 300, 1), (5, 1_000, 2), (10, 2_000, 3)]
    results = []
    for copies, n_jobs, seed in cases:
        rng = random.Random(seed)
        centers = _network(copies, rng)
        types = sorted({t for c in centers for t in c.accelerator_types()})
        snap = Snapshot.idle(centers)
        queue = _jobs(pods, n_jobs, types, rng)
        ours, plan = timed(lambda: schedule(snap, queue, optimize=True))  # noqa: B023
        greedy, _ = timed(lambda: schedule(snap, queue, optimize=False))  # noqa: B023
        base, (base_placed, base_cost) = timed(lambda: _baseline(snap, queue), repeat=1)  # noqa: B023
        exact = schedule(snap, queue, optimize=True, lp_rounds=None).stats
        assert exact["lp_exact"] == 1.0, "the LP was solved to optimality"
        stats = plan.stats  # type: ignore[attr-defined]
        optimum = exact["lp_lower_bound"]
        results.append(
            Result(
                "optimiser (Alibaba trace)",
                f"{n_jobs:,} pods x {len(centers)} centers",
                ours,
                base,
                "per-job Python loop",
                {
                    "placed": stats["placed"],
                    "greedy_cost": stats["cost_greedy"],
                    "optimised_cost": stats["cost"],
                    "lp_optimum": optimum,
                    "greedy_gap_pct": 100 * (stats["cost_greedy"] / optimum - 1),
                    "optimised_gap_pct": 100 * (stats["cost"] / optimum - 1),
                    "lp_bound": stats["lp_lower_bound"],
                    "certified_gap_pct": 100 * stats["lp_gap"],
                    "lp_rounds": stats["lp_rounds"],
                    "greedy_ms": 1000 * greedy,
                    "baseline_placed": float(base_placed),
                    "baseline_cost": base_cost,
                },
            )
        )
    return results
