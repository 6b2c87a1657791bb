"""schedule(snapshot, queue, policy, clock, rng) -> Plan: filter -> score -> select, pure."""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from c2net.clock import Clock
from c2net.model import Pending, Placement, Plan
from c2net.scheduler.filters import evaluate
from c2net.scheduler.policies import Policy, ScoreContext, get_policy
from c2net.scheduler.reasons import describe_pending, exclusions
from c2net.scheduler.select import pick_center, pick_node
from c2net.scheduler.snapshot import Arrays, QueuedJob, Snapshot

__all__ = ["schedule"]


def schedule(
    snapshot: Snapshot,
    queue: Sequence[QueuedJob],
    policy: Policy | str = "cheapest",
    clock: Clock | None = None,
    rng: random.Random | None = None,
) -> Plan:
    """Place queued jobs (in queue order) on the snapshot without overbooking any node.

    Never writes anywhere: the caller commits the returned Plan. Every job not placed gets a
    Pending entry with a sentence and the per-center exclusions behind it.
    """
    pol = get_policy(policy) if isinstance(policy, str) else policy
    rng = rng or random.Random(0)
    extra = {t for job in queue for t in job.spec.resources.accelerators}
    arrays = Arrays.build(snapshot, extra_types=extra)
    centers = snapshot.centers
    placements: list[Placement] = []
    pending: list[Pending] = []
    for job in queue:
        ev = evaluate(job.spec, centers, arrays)
        feasible = ev.feasible
        ctx = ScoreContext(ev.price_per_hour, job.spec.runtime_hours, rng)
        scores = np.asarray(pol.score(ctx), dtype=float)
        chosen = pick_center(scores, feasible, arrays.name_rank)
        if chosen is None:
            excl = exclusions(job.spec, arrays.names, ev.codes, ev.price_per_hour)
            message = describe_pending(job.spec, excl, ev.price_per_hour, arrays.names)
            pending.append(Pending(job.id, message, excl))
            continue
        request = arrays.vector(job.spec.resources)
        assert request is not None  # a feasible center has every type asked for
        row = pick_node(arrays, chosen, ev.fits_now, request)
        arrays.node_free[row] -= request
        hourly = float(ev.price_per_hour[chosen])
        placements.append(
            Placement(
                job_id=job.id,
                center=arrays.names[chosen],
                node=int(arrays.node_index[row]),
                resources=job.spec.resources,
                price_per_hour=hourly,
                estimated_cost=hourly * job.spec.runtime_hours,
                score=float(scores[chosen]),
            )
        )
    return Plan(
        placements=tuple(placements),
        pending=tuple(pending),
        policy=pol.name,
        created_at=clock.now() if clock else snapshot.taken_at,
    )
