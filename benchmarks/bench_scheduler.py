"""One scheduling cycle: the numpy pipeline against a plain per-job, per-node Python loop."""

from __future__ import annotations

import random

from benchmarks.harness import Result, timed
from c2net.model import Center, JobSpec, NodePool, Prices, Resources
from c2net.scheduler import QueuedJob, Snapshot, schedule

TYPES = ["A100", "H100", "T4", "A10", "910B"]


def _centers(n: int, rng: random.Random) -> list[Center]:
    out = []
    for i in range(n):
        t = rng.choice(TYPES)
        pools = (
            NodePool("cpu", rng.randint(2, 8), Resources(64, 256)),
            NodePool("gpu", rng.randint(1, 4), Resources(64, 512, {t: 8})),
        )
        prices = Prices(rng.uniform(0.05, 0.2), rng.uniform(0.005, 0.02), {t: rng.uniform(5, 35)})
        out.append(
            Center(
                f"c{i:04d}",
                f"hub{i % 8}",
                f"r{i}",
                pools,
                prices,
                role=rng.choice(["east", "west"]),
            )
        )
    return out


def _jobs(n: int, rng: random.Random) -> list[QueuedJob]:
    out = []
    for i in range(n):
        acc = {rng.choice(TYPES): rng.choice([1, 2, 4, 8])} if rng.random() < 0.4 else {}
        spec = JobSpec(
            run="true",
            resources=Resources(rng.choice([1, 2, 4, 8, 16]), rng.choice([2, 8, 32, 64]), acc),
        )
        out.append(QueuedJob(i, spec))
    return out


def _baseline(snapshot: Snapshot, queue: list[QueuedJob]) -> int:
    """Per job, per center, per node: the plain loop a first implementation would write."""
    free = {
        c.name: list(nodes) for c, nodes in zip(snapshot.centers, snapshot.node_free, strict=True)
    }
    placed = 0
    for job in queue:
        best: tuple[float, str, int] | None = None
        for c in snapshot.centers:
            price = c.prices.hourly(job.spec.resources)
            if price is None:
                continue
            for i, room in enumerate(free[c.name]):
                if job.spec.resources.fits_in(room) and (best is None or price < best[0]):
                    best = (price, c.name, i)
                    break
        if best:
            _, name, i = best
            free[name][i] = free[name][i] - job.spec.resources
            placed += 1
    return placed


def run(quick: bool = False) -> list[Result]:
    sizes = [(200, 20), (1000, 100)] if quick else [(1000, 100), (5000, 200)]
    results = []
    for jobs, centers in sizes:
        rng = random.Random(1)
        snap = Snapshot.idle(_centers(centers, rng))
        queue = _jobs(jobs, rng)
        ours, plan = timed(lambda: schedule(snap, queue), repeat=3)  # noqa: B023
        base, placed = timed(lambda: _baseline(snap, queue), repeat=1)  # noqa: B023
        results.append(
            Result(
                "scheduler cycle",
                f"{jobs} jobs x {centers} centers",
                ours,
                base,
                "per-job Python loop",
                {
                    "placed": float(len(plan.placements)),  # type: ignore[attr-defined]
                    "baseline_placed": float(placed),  # type: ignore[arg-type]
                    "placements_per_s": len(plan.placements) / ours,  # type: ignore[attr-defined]
                },
            )
        )
    return results
