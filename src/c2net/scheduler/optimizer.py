"""Global optimisation of a cycle: the LP lower bound, and an LP-guided re-placement.

The greedy pass decides *which* jobs run this cycle (fair order) and places each on the best
candidate with room at its turn. Where that leaves value on the table (an early flexible job took
the cheap pool a later rigid one needed), the linear program over (class x candidate) counts,

    min  sum c[k,j] x[k,j]
    s.t. sum_j x[k,j] = m[k]                              every admitted job placed
         sum_{k,j in pool p} need[k,j,d] x[k,j] <= free[p,d]   per pool, per resource
         x >= 0,

gives a lower bound on the cost of placing the same jobs (it ignores node boundaries, so no
plan can beat it), and its rounded solution, packed onto nodes best-fit, is an alternative plan.
The cheaper valid plan wins. Jobs with the `time` or `carbon` objective, gangs and jobs placed by
preemption keep their greedy placement (their cost is a constant in both). Solved with HiGHS
(scipy.optimize.linprog).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, sparse

from c2net.scheduler.pools import EPS, PoolTable, Room
from c2net.scheduler.ranking import ClassPlan
from c2net.scheduler.select import Choice

__all__ = ["Improvement", "improve"]

# scipy's stubs type linprog's matrices as dense arrays; HiGHS takes sparse ones.
_linprog: Any = optimize.linprog
_coo: Any = sparse.coo_matrix


@dataclass(frozen=True)
class Improvement:
    choices: list[Choice]  # the plan's choices after optimisation (greedy's if not better)
    greedy_cost: float  # every placed job, as greedy placed them
    cost: float  # every placed job, as returned
    lower_bound: float  # NaN when the LP was not solved
    solved: bool


def _cost(plans: Sequence[ClassPlan], of_job: Sequence[int], choices: Sequence[Choice]) -> float:
    return float(sum(plans[of_job[c.position]].view.cost[c.candidate] for c in choices))


def _rows(table: PoolTable) -> np.ndarray:
    """(P,) row in node_free of each pool's first node."""
    return np.concatenate([[0], np.cumsum(table.pool_count)[:-1]]).astype(np.int64)


def improve(
    plans: Sequence[ClassPlan],
    of_job: Sequence[int],
    choices: list[Choice],
    movable: Sequence[bool],
    table: PoolTable,
    max_variables: int,
) -> Improvement:
    greedy = _cost(plans, of_job, choices)
    fixed = [c for c, m in zip(choices, movable, strict=True) if not m]
    moving = [c for c, m in zip(choices, movable, strict=True) if m]
    by_class: dict[int, list[Choice]] = defaultdict(list)
    for c in moving:
        by_class[of_job[c.position]].append(c)
    # If every moving job already sits on its class's cheapest candidate, greedy is optimal.
    floor = _cost(plans, of_job, fixed) + sum(
        len(cs) * float(plans[k].view.cost[plans[k].order].min()) for k, cs in by_class.items()
    )
    if greedy <= floor + 1e-9 * max(1.0, abs(floor)):
        return Improvement(choices, greedy, greedy, floor, True)
    free = table.node_free.copy()
    first_row = _rows(table)
    for c in fixed:
        plan = plans[of_job[c.position]]
        p = int(plan.view.pool[c.candidate])
        if table.pool_elastic[p]:
            continue
        for node in c.nodes:
            free[first_row[p] + node - table.pool_first[p]] -= plan.view.vector[c.candidate]
    pool_free = np.zeros((len(table.pool_name), len(table.dims)))
    np.add.at(pool_free, table.node_pool, free)
    pool_max = np.full_like(pool_free, -np.inf)
    np.maximum.at(pool_max, table.node_pool, free)
    # Variables: (class, candidate) pairs where some node could hold one job.
    var_class, var_cand = [], []
    for k in by_class:
        view, order = plans[k].view, plans[k].order
        pools = view.pool[order]
        fits = table.pool_elastic[pools] | np.all(
            pool_max[pools] + EPS >= view.vector[order], axis=1
        )
        var_class += [k] * int(fits.sum())
        var_cand += order[fits].tolist()
    n_var = len(var_class)
    if n_var == 0 or n_var > max_variables:
        return Improvement(choices, greedy, greedy, math.nan, False)
    batch = plans[0].view.batch
    n_pools = len(table.pool_name)
    klass = np.array(var_class, dtype=np.int64)
    cand = np.array(var_cand, dtype=np.int64)
    row, pool = batch.first_row[klass] + cand // n_pools, cand % n_pools
    cost, need = batch.cost[row, pool], batch.row_vector[row]
    classes = sorted(by_class)
    class_row = {k: i for i, k in enumerate(classes)}
    a_eq = _coo(
        (np.ones(n_var), ([class_row[k] for k in var_class], np.arange(n_var))),
        shape=(len(classes), n_var),
    ).tocsr()
    b_eq = np.array([len(by_class[k]) for k in classes], dtype=float)
    bounded = ~table.pool_elastic[pool]
    var_idx, dim_idx = np.nonzero(need * bounded[:, None] > 0)
    keys, rows = np.unique(pool[var_idx] * len(table.dims) + dim_idx, return_inverse=True)
    a_ub = _coo((need[var_idx, dim_idx], (rows, var_idx)), shape=(len(keys), n_var)).tocsr()
    room = np.maximum(pool_free.reshape(-1)[keys], 0.0)
    result = _linprog(cost, A_ub=a_ub, b_ub=room, A_eq=a_eq, b_eq=b_eq, method="highs")
    if result.status != 0:
        return Improvement(choices, greedy, greedy, math.nan, False)
    fixed_cost = _cost(plans, of_job, fixed)
    bound = float(result.fun) + fixed_cost
    x = np.asarray(result.x)
    target = {
        (int(k), int(j)): float(v) for k, j, v in zip(klass, cand, x, strict=True) if v > 1e-9
    }
    candidates = [_local(plans, of_job, choices, movable, target, table)]
    rounded = _round(plans, by_class, klass, cand, x, fixed, of_job, table)
    if rounded is not None:
        mask = [False] * len(fixed) + [True] * len(rounded)
        candidates.append(_local(plans, of_job, fixed + rounded, mask, target, table))
    best, best_cost = choices, greedy
    for option in candidates:
        option_cost = _cost(plans, of_job, option)
        if option_cost < best_cost - 1e-9 * max(1.0, abs(best_cost)):
            best, best_cost = option, option_cost
    return Improvement(best, greedy, best_cost, bound, True)


def _local(
    plans: Sequence[ClassPlan],
    of_job: Sequence[int],
    choices: list[Choice],
    movable: Sequence[bool],
    target: dict[tuple[int, int], float],
    table: PoolTable,
    passes: int = 3,
) -> list[Choice]:
    """Improve a plan, valid at every step: move a job to a cheaper candidate with room; or
    swap - move a job the LP wants elsewhere out of a pool so that a
    job of another class, which the LP wants there, can move in - when the pair lowers the
    cost. Stops after a pass that finds nothing (or `passes` passes)."""
    room = Room(table)
    costs = {
        k: plans[k].view.cost[plans[k].order].tolist()
        for k in {of_job[c.position] for c in choices}
    }
    rank = {k: {j: i for i, j in enumerate(plans[k].order_list)} for k in costs}
    jobs: list[list[int]] = []  # movable jobs: [class, rank in its order, node, position]
    count: dict[tuple[int, int], int] = defaultdict(int)  # (class, rank) -> jobs there
    at_pool: dict[int, set[int]] = defaultdict(set)  # pool -> indices into jobs
    out: list[Choice] = []
    for c, m in zip(choices, movable, strict=True):
        k = of_job[c.position]
        r = rank[k][c.candidate]
        plan = plans[k]
        for node in c.nodes:
            room.reserve(plan.pools[r], node, plan.needs[plan.options[r]])
        if m:
            at_pool[plan.pools[r]].add(len(jobs))
            jobs.append([k, r, c.nodes[0], c.position])
            count[(k, r)] += 1
        else:
            out.append(c)
    want = {(k, rank[k][j]): v for (k, j), v in target.items() if k in rank}

    def wanted(k: int, r: int) -> bool:
        return want.get((k, r), 0.0) > count[(k, r)] + 1e-9

    def move(i: int, r: int, node: int) -> None:
        k, old, old_node, _ = jobs[i]
        plan = plans[k]
        room.give_back(plan.pools[old], old_node, plan.needs[plan.options[old]])
        at_pool[plan.pools[old]].discard(i)
        count[(k, old)] -= 1
        jobs[i][1], jobs[i][2] = r, node
        at_pool[plan.pools[r]].add(i)
        count[(k, r)] += 1

    def take(k: int, r: int) -> int | None:
        plan = plans[k]
        nodes = room.take(plan.pools[r], plan.needs[plan.options[r]], 1)
        return None if nodes is None else nodes[0]

    of_class: dict[int, list[int]] = defaultdict(list)
    for i, job in enumerate(jobs):
        of_class[job[0]].append(i)
    deficits = sorted(want, key=lambda kr: costs[kr[0]][kr[1]])
    for _ in range(passes):
        moved = False
        for i, (k, r, _, _) in enumerate(jobs):  # cheaper candidates come first in the order
            for r2 in range(r):
                if costs[k][r2] < costs[k][r] - 1e-12:
                    got = take(k, r2)
                    if got is not None:
                        move(i, r2, got)
                        moved = True
                        break
        for k, r in deficits:
            if not wanted(k, r):
                continue
            pool = plans[k].pools[r]
            dearer = [i for i in of_class[k] if costs[k][jobs[i][1]] > costs[k][r] + 1e-12]
            if not dearer:
                continue
            b = max(dearer, key=lambda i: costs[k][jobs[i][1]])
            gain = costs[k][jobs[b][1]] - costs[k][r]
            for a in sorted(at_pool[pool]):
                ka, ra, node_a, _ = jobs[a]
                if ka == k or want.get((ka, ra), 0.0) >= count[(ka, ra)] - 1e-9:
                    continue  # the LP does not want A out of here
                for r3 in range(len(costs[ka])):
                    if costs[ka][r3] - costs[ka][ra] >= gain - 1e-12:
                        break
                    if r3 == ra or not wanted(ka, r3):
                        continue
                    node3 = take(ka, r3)
                    if node3 is None:
                        continue
                    move(a, r3, node3)
                    into = take(k, r)
                    if into is not None:
                        move(b, r, into)
                        moved = True
                    else:  # undo: A goes back to the node it left, which nobody took
                        move(a, ra, node_a)
                        back = room.reserve(pool, node_a, plans[ka].needs[plans[ka].options[ra]])
                        assert back, "the node A left is still free"
                    break
                if not wanted(k, r):
                    break
        if not moved:
            break
    return out + [Choice(pos, plans[k].order_list[r], (node,)) for k, r, node, pos in jobs]


def _round(
    plans: Sequence[ClassPlan],
    by_class: dict[int, list[Choice]],
    klass: np.ndarray,
    cand: np.ndarray,
    x: np.ndarray,
    fixed: list[Choice],
    of_job: Sequence[int],
    table: PoolTable,
) -> list[Choice] | None:
    """Round the LP solution: first the whole jobs it puts on each candidate (floor of x),
    packed best-fit, largest requests first; then the jobs it splits, each on its class's
    cheapest candidate with room. A job whose LP candidate has no node left also goes to the
    cheapest one with room. None if some job finds no room at all."""
    room = Room(table)
    for c in fixed:
        plan = plans[of_job[c.position]]
        pool = int(plan.view.pool[c.candidate])
        need = plan.needs[int(plan.view.option[c.candidate])]
        for node in c.nodes:
            room.reserve(pool, node, need)
    whole: dict[int, list[tuple[int, int]]] = {}  # class -> [(candidate, jobs)]
    split: dict[int, int] = {}  # class -> jobs the LP splits between candidates
    for k in by_class:
        mine = np.flatnonzero(klass == k)
        counts = np.floor(x[mine] + 1e-7).astype(np.int64)
        whole[k] = [(int(cand[m]), int(n)) for m, n in zip(mine, counts, strict=True) if n > 0]
        split[k] = len(by_class[k]) - int(counts.sum())
    scale = np.maximum(table.pool_shape.max(axis=0), EPS)

    def size(k: int) -> float:
        return float((plans[k].view.vector[plans[k].order[0]] / scale).max())

    def cheapest_with_room(plan: ClassPlan) -> tuple[int, list[int]] | None:
        for i in np.argsort(plan.view.cost[plan.order], kind="stable").tolist():
            nodes = room.take(plan.pools[i], plan.needs[plan.options[i]], 1)
            if nodes is not None:
                return i, nodes
        return None

    out: list[Choice] = []
    jobs = {k: iter(by_class[k]) for k in by_class}
    largest_first = sorted(by_class, key=lambda k: (-size(k), k))
    for k in largest_first:
        plan = plans[k]
        where = {int(j): i for i, j in enumerate(plan.order)}
        for j, n in whole[k]:
            for _ in range(n):
                i = where[j]
                nodes = room.take(plan.pools[i], plan.needs[plan.options[i]], 1)
                found = (i, nodes) if nodes is not None else cheapest_with_room(plan)
                if found is None:
                    return None
                out.append(
                    Choice(next(jobs[k]).position, int(plan.order[found[0]]), tuple(found[1]))
                )
    for k in largest_first:
        for _ in range(split[k]):
            found = cheapest_with_room(plans[k])
            if found is None:
                return None
            i, nodes = found
            out.append(Choice(next(jobs[k]).position, int(plans[k].order[i]), tuple(nodes)))
    return out
