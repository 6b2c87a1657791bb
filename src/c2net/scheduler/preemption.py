"""Preemption: stop running spot jobs when on-demand work cannot otherwise be placed.

Only after the greedy pass (so preemption never takes room that is free), only for single-node
on-demand jobs left BUSY, in fair order, and at most `limit` spot jobs per cycle. On a candidate
node the spot jobs started last go first (least work lost), and the node needing the fewest
evictions wins. A preempted job loses all its nodes; the store stops it (SIGTERM, a grace
period) and requeues it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from c2net.model import Preemption
from c2net.scheduler.allocations import Allocations
from c2net.scheduler.pools import EPS, Room
from c2net.scheduler.ranking import ClassPlan
from c2net.scheduler.select import Choice
from c2net.scheduler.snapshot import QueuedJob

__all__ = ["Preempted", "preempt"]


@dataclass
class Preempted:
    choices: list[Choice] = field(default_factory=list)  # jobs placed by preempting
    preemptions: list[Preemption] = field(default_factory=list)
    placed: set[int] = field(default_factory=set)  # queue positions


def _plan_node(
    room: Room,
    pool: int,
    node: int,
    victims: list[int],
    alloc: Allocations,
    need: list[tuple[int, float]],
) -> list[int] | None:
    """Victims (latest started first) to evict on `node` so `need` fits; None if it never does."""
    state = room.free_of(pool, node)
    if state is None:
        return None
    free = list(state)
    chosen: list[int] = []
    for v in sorted(victims, key=lambda a: -float(alloc.started[a])):
        if all(free[d] + EPS >= amount for d, amount in need):
            break
        chosen.append(v)
        free = [f + float(x) for f, x in zip(free, alloc.vector[v], strict=True)]
    if all(free[d] + EPS >= amount for d, amount in need):
        return chosen
    return None


def preempt(
    queue: Sequence[QueuedJob],
    plans: Sequence[ClassPlan],
    of_job: Sequence[int],
    busy: Sequence[int],
    room: Room,
    alloc: Allocations,
    limit: int,
) -> Preempted:
    out = Preempted()
    if limit <= 0 or not len(alloc) or not alloc.spot.any():
        return out
    by_pool_node: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for a in range(len(alloc)):
        if alloc.spot[a]:
            by_pool_node[int(alloc.pool[a])][int(alloc.node[a])].append(a)
    gone: set[int] = set()  # preempted job ids
    names = None
    for pos in busy:
        job = queue[pos]
        plan = plans[of_job[pos]]
        if job.spec.spot or plan.cls.num_nodes != 1 or len(gone) >= limit:
            continue
        rank = job.spec.priority_rank
        best: tuple[int, int, int, int, list[int]] | None = None
        for i, pool in enumerate(plan.pools):
            need = plan.needs[plan.options[i]]
            for node, holders in sorted(by_pool_node.get(pool, {}).items()):
                victims = [
                    a
                    for a in holders
                    if int(alloc.job[a]) not in gone and alloc.priority[a] <= rank
                ]
                if not victims:
                    continue
                evict = _plan_node(room, pool, node, victims, alloc, need)
                if evict is None:
                    continue
                jobs = {int(alloc.job[a]) for a in evict}
                if len(gone) + len(jobs) > limit:
                    continue
                key = (len(jobs), i, node)
                if best is None or key < best[:3]:
                    best = (len(jobs), i, node, pool, evict)
            if best is not None:
                break  # the most preferred candidate with a way in
        if best is None:
            continue
        _, i, node, pool, evict = best
        names = names or plan.view.ctx.table.names
        for victim_job in sorted({int(alloc.job[a]) for a in evict}):
            gone.add(victim_job)
            for a in range(len(alloc)):
                if int(alloc.job[a]) != victim_job:
                    continue
                p, n = int(alloc.pool[a]), int(alloc.node[a])
                room.give_back(p, n, enumerate(alloc.vector[a].tolist()))
                center = names[int(plan.view.ctx.table.pool_center[p])]
                reason = f"preempted (spot) to make room for job {job.id}"
                out.preemptions.append(Preemption(victim_job, center, n, job.id, reason))
        taken = room.reserve(pool, node, plan.needs[plan.options[i]])
        assert taken, "evicting the planned victims frees room on the node"
        out.choices.append(Choice(pos, int(plan.order[i]), (node,)))
        out.placed.add(pos)
    return out
