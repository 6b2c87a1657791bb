"""One scheduling cycle: the class-based numpy pipeline against a plain per-job Python loop.

Sizes: 10k and 100k queued jobs x 100 and 1,000 centers. The timed call is `schedule(...,
optimize=False)`: filters, scores, fair order, placement on nodes, reasons and estimated
starts for every pending job (the LP is measured by bench_optimizer). The baseline loops per job,
per center, per node with `Resources.fits_in`; where a full run would take minutes (jobs x
centers > 2M) it is timed on the first 1,000 jobs and extrapolated linearly to the whole queue
(its cost per job is flat: it scans every center for every job), which the notes say.
"""

from __future__ import annotations

import random
import time

from benchmarks.harness import Result, timed
from c2net.model import Center, JobSpec, NodePool, Prices, Resources
from c2net.scheduler import QueuedJob, Snapshot, schedule

TYPES = ["A100", "H100", "T4", "A10", "910B"]
SAMPLE = 1_000
FULL_BASELINE_LIMIT = 2_000_000  # jobs x centers


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
    sizes = (
        [(1_000, 100), (10_000, 100)]
        if quick
        else [(10_000, 100), (10_000, 1_000), (100_000, 100), (100_000, 1_000)]
    )
    results = []
    for jobs, centers in sizes:
        rng = random.Random(1)
        snap = Snapshot.idle(_centers(centers, rng))
        queue = _jobs(jobs, rng)
        ours, plan = timed(lambda: schedule(snap, queue, optimize=False), repeat=3)  # noqa: B023
        placed = len(plan.placements)  # type: ignore[attr-defined]
        if jobs * centers <= FULL_BASELINE_LIMIT:
            base, base_placed = timed(lambda: _baseline(snap, queue), repeat=1)  # noqa: B023
            how = "per-job Python loop"
        else:
            start = time.perf_counter()
            base_placed = _baseline(snap, queue[:SAMPLE])
            base = (time.perf_counter() - start) * jobs / SAMPLE
            how = f"per-job Python loop, {SAMPLE:,} jobs timed x {jobs // SAMPLE} (extrapolated)"
        results.append(
            Result(
                "scheduler cycle",
                f"{jobs:,} jobs x {centers:,} centers",
                ours,
                base,
                how,
                {
                    "placed": float(placed),
                    "pending": float(jobs - placed),
                    "classes": plan.stats["classes"],  # type: ignore[attr-defined]
                    "baseline_placed": float(base_placed),  # type: ignore[arg-type]
                    "placements_per_s": placed / ours,
                    "jobs_per_s": jobs / ours,
                },
            )
        )
    return results
