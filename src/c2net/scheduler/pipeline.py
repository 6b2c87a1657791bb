"""schedule(snapshot, queue, policy, clock, rng) -> Plan: filter -> score -> select, pure.

1. group the queue into classes of identical shape and constraints;
2. per class, run every filter over all (pool x option) candidates and rank the feasible ones by
   the policy (the job's objective for `cheapest`) - numpy, once per class;
3. take jobs in fair order (priority with aging, then weighted DRF) and give each the first
   candidate in its class's order with room on a node (best fit; gangs all or nothing);
4. let blocked on-demand jobs preempt spot jobs, up to a limit per cycle;
5. re-place the admitted jobs more cheaply (LP prices, local search on nodes) and bound the cost;
6. give every job not placed a reason code, a sentence and an estimated start.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Sequence

import numpy as np

from c2net.clock import Clock
from c2net.model import Pending, Placement, Plan, ReasonCode
from c2net.model.plan import Exclusions
from c2net.scheduler.allocations import Allocations
from c2net.scheduler.candidates import Context
from c2net.scheduler.classes import group
from c2net.scheduler.fairness import FairQueue
from c2net.scheduler.optimizer import improve
from c2net.scheduler.plugins import Policy, get_policy
from c2net.scheduler.pools import PoolTable, Room
from c2net.scheduler.preemption import preempt
from c2net.scheduler.ranking import ClassPlan, rank_classes
from c2net.scheduler.reasons import Verdict, center_verdict, pending_reason, quota_reason
from c2net.scheduler.select import Choice, Outcome, place_greedy
from c2net.scheduler.snapshot import QueuedJob, Snapshot

__all__ = ["schedule"]


def schedule(
    snapshot: Snapshot,
    queue: Sequence[QueuedJob],
    policy: Policy | str = "cheapest",
    clock: Clock | None = None,
    rng: random.Random | None = None,
    *,
    optimize: bool | str = "auto",
    max_preemptions: int = 10,
    aging_hours: float = 4.0,
    lp_max_variables: int = 100_000,
    lp_rounds: int | None = 3,
) -> Plan:
    """Place queued jobs on the snapshot without overbooking any node.

    Never writes anywhere: the caller commits the returned Plan. Every job not placed gets a
    Pending entry with a code, a sentence, the per-center exclusions and an estimated start.
    `optimize`: "auto" (LP when the policy ranks by objective and the LP has at most
    `lp_max_variables` variables), True (the same, never skipped for size) or False.
    `lp_rounds`: at most this many LPs per cycle for the bound (fewer once the plan is proven
    within 1% of it); None: until the bound is the LP optimum itself.
    """
    # A cycle allocates a few hundred thousand objects (placements, pending entries, node
    # states) that all outlive it; collections during the cycle find nothing to free and cost
    # up to a third of its time, so the collector waits until the plan is built.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _schedule(
            snapshot,
            queue,
            policy,
            clock,
            rng,
            optimize,
            max_preemptions,
            aging_hours,
            lp_max_variables,
            lp_rounds,
        )
    finally:
        if collecting:
            gc.enable()


def _schedule(
    snapshot: Snapshot,
    queue: Sequence[QueuedJob],
    policy: Policy | str,
    clock: Clock | None,
    rng: random.Random | None,
    optimize: bool | str,
    max_preemptions: int,
    aging_hours: float,
    lp_max_variables: int,
    lp_rounds: int | None,
) -> Plan:
    pol = get_policy(policy) if isinstance(policy, str) else policy
    rng = rng or random.Random(0)
    now = clock.now() if clock else snapshot.taken_at
    classes, of_job = group(queue, snapshot.catalogue)
    extra = {o.accelerator for c in classes for o in c.options if o.accelerator}
    table = PoolTable.build(snapshot, extra)
    ctx = Context(snapshot, table, now)
    plans = rank_classes(ctx, classes, pol)
    room = Room(table)
    fair = FairQueue(queue, snapshot, table.dims, table.capacity(), now, aging_hours)
    greedy = place_greedy(queue, plans, of_job, room, fair, snapshot, pol, rng)
    alloc = Allocations.build(snapshot, table)
    pre = preempt(queue, plans, of_job, greedy.busy, room, alloc, max_preemptions)
    choices = greedy.choices + pre.choices
    stats: dict[str, float] = {
        "jobs": float(len(queue)),
        "classes": float(len(classes)),
        "candidates": float(sum(len(p.view) for p in plans)),
        "preemptions": float(len(pre.preemptions)),
    }
    if optimize and callable(getattr(pol, "rank", None)) and pol.name == "cheapest":
        # A job under an account quota keeps its place: another option may use more devices.
        capped = {name for name, account in snapshot.accounts.items() if account.limited}
        movable = [
            i < len(greedy.choices)
            and plans[of_job[c.position]].cls.spec.objective == "cost"
            and plans[of_job[c.position]].cls.num_nodes == 1
            and queue[c.position].account not in capped
            for i, c in enumerate(choices)
        ]
        limit = lp_max_variables if optimize == "auto" else 1 << 62
        result = improve(plans, of_job, choices, movable, table, room, limit, max_rounds=lp_rounds)
        choices = result.choices
        room = result.room or room
        stats["cost_greedy"] = result.greedy_cost
        stats["lp_lower_bound"] = result.lower_bound
        stats["lp_value"] = result.lp_value
        stats["lp_exact"] = float(result.exact)
        stats["lp_rounds"] = float(result.rounds)
    placements = _placements(queue, plans, of_job, choices, table)
    stats.update(_summary(placements, queue, choices, snapshot, table))
    if "lp_lower_bound" in stats and stats["lp_lower_bound"] > 0:
        stats["lp_gap"] = stats["cost"] / stats["lp_lower_bound"] - 1.0
    pending = _pending(queue, plans, of_job, greedy, pre.placed, room, alloc, table, snapshot)
    return Plan(
        placements=tuple(placements),
        pending=tuple(pending),
        preemptions=tuple(pre.preemptions),
        policy=pol.name,
        created_at=now,
        stats=stats,
    )


def _placements(
    queue: Sequence[QueuedJob],
    plans: Sequence[ClassPlan],
    of_job: Sequence[int],
    choices: Sequence[Choice],
    table: PoolTable,
) -> list[Placement]:
    if not choices:
        return []
    batch = plans[0].view.batch
    n_pools = len(table.pool_name)
    cand = np.array([c.candidate for c in choices], dtype=np.int64)
    klass = np.array([of_job[c.position] for c in choices], dtype=np.int64)
    row = batch.first_row[klass] + cand // n_pools
    pool = cand % n_pools
    price, cost = batch.price[row, pool].tolist(), batch.cost[row, pool].tolist()
    assert batch.objective is not None
    score, hours = batch.objective[row, pool].tolist(), batch.finish_hours[row, pool].tolist()
    centers = [table.names[c] for c in table.pool_center[pool].tolist()]
    pools = pool.tolist()
    option = (cand // n_pools).tolist()
    out = []
    for i, c in enumerate(choices):
        out.append(
            Placement(
                job_id=queue[c.position].id,
                center=centers[i],
                node=c.nodes[0],
                resources=plans[klass[i]].cls.options[option[i]].request,
                price_per_hour=price[i],
                estimated_cost=cost[i],
                score=score[i],
                nodes=c.nodes if len(c.nodes) > 1 else (),
                estimated_hours=hours[i],
                pool=table.pool_name[pools[i]],
            )
        )
    return out


def _summary(
    placements: Sequence[Placement],
    queue: Sequence[QueuedJob],
    choices: Sequence[Choice],
    snapshot: Snapshot,
    table: PoolTable,
) -> dict[str, float]:
    """Counts, the plan's cost, and how much work went west from non-western homes."""
    role = dict(zip(table.names, table.roles, strict=True))
    net = snapshot.network
    west = diverted = from_elsewhere = 0
    for p, c in zip(placements, choices, strict=True):
        home_west = net.role(queue[c.position].home) == "west"
        at_west = role[p.center] == "west"
        west += at_west
        if not home_west:
            from_elsewhere += 1
            diverted += at_west
    placed = len(placements)
    return {
        "placed": float(placed),
        "pending": float(len(queue) - placed),
        "cost": float(sum(p.estimated_cost for p in placements)),
        "placed_west": float(west),
        "west_share": west / placed if placed else 0.0,
        "diverted_west": float(diverted),
        "diverted_west_share": diverted / from_elsewhere if from_elsewhere else 0.0,
    }


def _pending(
    queue: Sequence[QueuedJob],
    plans: Sequence[ClassPlan],
    of_job: Sequence[int],
    greedy: Outcome,
    preempted_in: set[int],
    room: Room,
    alloc: Allocations,
    table: PoolTable,
    snapshot: Snapshot,
) -> list[Pending]:
    Reason = tuple[str, Exclusions, ReasonCode | None]
    reasons: dict[tuple[int, bool], Reason] = {}
    verdicts: dict[int, Verdict] = {}

    def reason(k: int, busy: bool) -> Reason:
        key = (k, busy)
        if key not in reasons:
            if k not in verdicts:
                verdicts[k] = center_verdict(plans[k])
            reasons[key] = pending_reason(plans[k], verdicts[k], busy)
        return reasons[key]

    free = room.free_rows() if len(alloc) else None
    starts: dict[int, np.ndarray] = {}
    seen: dict[int, int] = {}
    out: list[Pending] = []
    for pos in greedy.busy:
        if pos in preempted_in:
            continue
        k = of_job[pos]
        message, excl, code = reason(k, True)
        start = None
        if free is not None:
            times = starts.get(k)
            if times is None:
                times = starts[k] = alloc.release_times(plans[k], free)
            nth = seen.get(k, 0)
            seen[k] = nth + 1
            if nth < len(times):
                start = max(float(times[nth]), plans[k].view.ctx.now)
        out.append(Pending(queue[pos].id, message, excl, code, start))
    for pos in greedy.blocked:
        message, excl, code = reason(of_job[pos], False)
        out.append(Pending(queue[pos].id, message, excl, code, None))
    for pos in greedy.over_quota:
        account = queue[pos].account
        _, excl, _ = reason(of_job[pos], True)
        message = quota_reason(account, snapshot.account(account))
        out.append(Pending(queue[pos].id, message, excl, ReasonCode.QUOTA, None))
    out.sort(key=lambda p: p.job_id)
    return out
