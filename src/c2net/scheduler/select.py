"""Selection: for each job in fair order, the first candidate in preference order with room.

Per class, candidates found full stay skipped for the rest of the cycle (room only shrinks while
placing), so a cycle costs about one room check per job, whatever the number of centers.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from c2net.scheduler.fairness import FairQueue
from c2net.scheduler.plugins import Policy
from c2net.scheduler.pools import EPS, Room
from c2net.scheduler.ranking import ClassPlan
from c2net.scheduler.snapshot import Account, QueuedJob, Snapshot

__all__ = ["Choice", "place_greedy"]


class Choice(NamedTuple):
    """Where one job goes: a candidate of its class and the nodes reserved there."""

    position: int  # in the queue
    candidate: int  # index into the class's CandidateView
    nodes: tuple[int, ...]


@dataclass
class Outcome:
    """The greedy pass: choices in fair order, and the jobs it could not place, by reason."""

    choices: list[Choice]
    busy: list[int]  # positions, fair order: feasible somewhere but no room now
    blocked: list[int]  # positions: no feasible candidate at all
    over_quota: list[int]  # positions: their account is at its quota


def _over_quota(account: Account, used: list[float], need: list[tuple[int, float]], n: int) -> bool:
    """Would `n` nodes of `need` take the account past any of its limits?"""
    add = [0.0] * len(used)
    for d, v in need:
        add[d] = v * n
    eps = 1e-9
    if account.max_cpus is not None and used[0] + add[0] > account.max_cpus + eps:
        return True
    if account.max_memory_gb is not None and used[1] + add[1] > account.max_memory_gb + eps:
        return True
    if account.max_accelerators is not None:
        return sum(used[2:]) + sum(add[2:]) > account.max_accelerators + eps
    return False


def place_greedy(
    queue: Sequence[QueuedJob],
    plans: Sequence[ClassPlan],
    of_job: Sequence[int],
    room: Room,
    fair: FairQueue,
    snapshot: Snapshot,
    policy: Policy,
    rng: random.Random,
) -> Outcome:
    per_class = bool(getattr(policy, "per_class", False))
    out = Outcome([], [], [], [])
    quotas = {a: acc for a, acc in snapshot.accounts.items() if acc.limited}
    width = len(room.cap[0]) if room.cap and room.cap[0] else 0
    take, caps, tracking = room.take, room.cap, fair.tracking

    def settle(used: list[tuple[int, float]] | None) -> None:
        if tracking:
            fair.settle(used)

    for pos in fair:
        plan = plans[of_job[pos]]
        pools, options, needs, n = plan.pools, plan.options, plan.needs, plan.num_nodes
        if not pools:
            out.blocked.append(pos)
            settle(None)
            continue
        blocked: set[int] = set()
        account = queue[pos].account
        if account in quotas:
            used = fair.usage.get(account) or [0.0] * max(width, len(plan.view.ctx.table.dims))
            blocked = {
                o for o, need in enumerate(needs) if _over_quota(quotas[account], used, need, n)
            }
            if len(blocked) == len(needs):
                out.over_quota.append(pos)
                settle(None)
                continue
        nodes: list[int] | None = None
        chosen = -1
        if per_class and not blocked:
            i, end = plan.ptr, len(pools)
            while i < end:
                need = needs[options[i]]
                cap = caps[pools[i]]  # every node's free vector is at most this: a quick no
                if cap and all(cap[d] + EPS >= v for d, v in need):
                    nodes = take(pools[i], need, n)
                    if nodes is not None:
                        break
                i += 1
            plan.ptr = i
            chosen = i
        else:
            order = range(plan.ptr, len(pools)) if per_class else _job_order(plan, policy, rng)
            for i in order:
                if options[i] in blocked:
                    continue
                nodes = take(pools[i], needs[options[i]], n)
                if nodes is not None:
                    chosen = i
                    break
        if nodes is None:
            out.busy.append(pos)
            settle(None)
            continue
        out.choices.append(Choice(pos, plan.order_list[chosen], tuple(nodes)))
        if tracking:
            fair.settle([(d, v * n) for d, v in needs[options[chosen]]])
    return out


def _job_order(plan: ClassPlan, policy: Policy, rng: random.Random) -> list[int]:
    """Positions in plan.order, ordered by this job's policy scores (per-job policies)."""
    scores = policy.score(plan.score_context(rng))
    ordered = plan.center_order(np.asarray(scores, dtype=float))
    where = {int(c): i for i, c in enumerate(plan.order)}
    return [where[int(c)] for c in ordered]
