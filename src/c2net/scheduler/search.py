"""Local search on a Layout, with real costs; every step keeps the plan valid.

- moves: a job goes to a cheaper column with room;
- ejections: a job A not on its cheapest column (the most misplaced at the LP's prices first)
  takes a node of a cheaper column (the best priced first) by evicting one job B there, when
  B's cheapest new place (A's old node included) costs less than A's move saves; a few times a
  pass, when B has no such place, B evicts a job C in turn (a chain);
- repacks: the nodes of a pool whose priced capacity lies idle (the LP would fill it; the plan
  left fragments no job fits) are packed again (`packing.py`) from the jobs there and the jobs
  elsewhere that would gain most from moving in; the jobs left out go to their cheapest place
  with room. Kept only if the plan got cheaper.

A pass costs about one check per misplaced job, candidate node and job on it: which columns
have a node with room is kept up to date per pool (`Layout.available`), not searched.
"""

from __future__ import annotations

import itertools

import numpy as np

from c2net.scheduler.layout import Layout, Need
from c2net.scheduler.packing import pack
from c2net.scheduler.pools import EPS

__all__ = ["ejections", "moves", "repacks"]


def moves(layout: Layout) -> float:
    """Move each job, dearest first, to its cheapest column with room if that is cheaper."""
    costs, klass, start, column = layout.costs, layout.klass, layout.start, layout.column
    layout.track_room()
    gain = 0.0
    excess = [costs[c] - costs[start[klass[c]]] for c in column]
    for job in sorted(range(len(column)), key=excess.__getitem__, reverse=True):
        col = column[job]
        here = costs[col]
        if excess[job] <= _tol(here):
            break
        better = layout.available(klass[col])
        if better is None or costs[better] >= here - _tol(here):
            continue
        node = layout.room.take(layout.pools[better], layout.needs[better], 1)
        if node is None:
            continue
        layout.room.give_back(layout.pools[col], layout.node[job], layout.needs[col])
        layout.relocate(job, better, node[0])
        gain += here - costs[better]
    return gain


def ejections(layout: Layout, priced: np.ndarray, tries: int = 3, chains: int = 50) -> float:
    """One ejection pass over the misplaced jobs, most misplaced first, with at most `chains`
    tries of a chain (A evicts B, B evicts C, C moves)."""
    cols = layout.cols
    layout.track_room()
    layout.chains = chains
    excess = (priced - cols.minimum(priced)[cols.klass]).tolist()
    by_price = np.lexsort((cols.cost, priced, cols.klass)).tolist()
    column, costs, klass, start = layout.column, layout.costs, layout.klass, layout.start
    # every job not on its cheapest column, the most misplaced at the LP's prices first
    misplaced = [
        j for j, c in enumerate(column) if costs[c] - costs[start[klass[c]]] > _tol(costs[c])
    ]
    misplaced.sort(
        key=lambda j: (-excess[column[j]], costs[start[klass[column[j]]]] - costs[column[j]])
    )
    # where each job could go now, as of the start of the pass: a quick "no" for evictions
    escape = []
    for col in column:
        out = layout.available(klass[col])
        escape.append(np.inf if out is None else costs[out])
    gain = 0.0
    for job in misplaced:
        gain += _eject_for(layout, job, by_price, priced, tries, escape)
    return gain


def _eject_for(
    layout: Layout,
    a: int,
    by_price: list[int],
    priced: np.ndarray,
    tries: int,
    escape: list[float],
) -> float:
    costs, pools, start = layout.costs, layout.pools, layout.start
    col_a = layout.column[a]
    k = layout.klass[col_a]
    cost_a = costs[col_a]
    tried = 0
    for i in range(start[k], start[k + 1]):
        w = by_price[i]
        if tried >= tries:
            break
        saving = cost_a - costs[w]
        if saving <= _tol(cost_a) or not layout.residents[pools[w]]:
            continue
        tried += 1
        done = _evict_into(layout, a, w, saving, escape)
        if done is not None:
            return done
    return 0.0


def _evict_into(layout: Layout, a: int, w: int, saving: float, escape: list[float]) -> float | None:
    room, pools, needs, costs = layout.room, layout.pools, layout.needs, layout.costs
    pool, need_a = pools[w], needs[w]
    col_a, node_a = layout.column[a], layout.node[a]
    pool_a = pools[col_a]
    for node, residents in itertools.islice(layout.residents[pool].items(), _NODES):
        if not residents or (pool == pool_a and node == node_a):
            continue
        state = room.free_of(pool, node)
        if state is None:
            continue
        for b in residents:
            col_b = layout.column[b]
            budget = (costs[col_b] + saving) * _BELOW
            direct = escape[b] < budget or _cheaper_at(layout, b, pool_a, budget)
            if not direct and layout.chains <= 0:
                continue
            if not _fits_with(state, needs[col_b], need_a):
                continue
            target = _landing(layout, b, budget, col_a, node_a) if direct else None
            if target is None and layout.chains <= 0:
                continue
            room.give_back(pools[col_a], node_a, needs[col_a])
            room.give_back(pool, node, needs[col_b])
            room.reserve(pool, node, need_a)
            if target is not None:
                landed = _land(layout, target, node_a if pools[target] == pools[col_a] else -1)
                if landed is not None:
                    layout.relocate(a, w, node)
                    layout.relocate(b, target, landed)
                    return costs[col_b] + saving - costs[target]
            else:
                layout.chains -= 1
                chained = _chain(layout, b, budget, node)
                if chained is not None:
                    layout.relocate(a, w, node)
                    return chained
            room.give_back(pool, node, need_a)
            room.reserve(pool, node, needs[col_b])
            room.reserve(pools[col_a], node_a, needs[col_a])
    return None


def _cheaper_at(layout: Layout, b: int, pool: int, budget: float) -> bool:
    there = layout.cheapest_at(layout.klass[layout.column[b]], pool)
    return there is not None and layout.costs[there] < budget


def _chain(layout: Layout, b: int, budget: float, busy: int, tries: int = 3) -> float | None:
    """B, already out of its node (A took it), goes to a column under `budget` by evicting a
    job C there, and C to its cheapest column with room under what is left: the saving, or None
    (and nothing changed). `busy`: the node A took, left alone."""
    room, pools, needs, costs = layout.room, layout.pools, layout.needs, layout.costs
    col_b = layout.column[b]
    k = layout.klass[col_b]
    order = range(len(costs))
    tried = 0
    for w in range(layout.start[k], layout.start[k + 1]):
        if costs[w] >= budget or tried >= tries:
            break
        pool = pools[w]
        if not layout.residents[pool]:
            continue
        tried += 1
        for node, residents in list(itertools.islice(layout.residents[pool].items(), _NODES)):
            state = room.free_of(pool, node)
            if state is None or (pool == pools[col_b] and node == busy):
                continue
            for c in list(residents):
                col_c = layout.column[c]
                if c == b or not _fits_with(state, needs[col_c], needs[w]):
                    continue
                left = costs[col_c] + budget - costs[w]
                room.give_back(pool, node, needs[col_c])
                room.reserve(pool, node, needs[w])
                k_c = layout.klass[col_c]
                found = layout.first_with_room(
                    order, layout.start[k_c], layout.start[k_c + 1], left - _tol(left)
                )
                if found is not None:
                    layout.relocate(b, w, node)
                    layout.relocate(c, *found)
                    return left - costs[found[0]] + _tol(left)
                room.give_back(pool, node, needs[w])
                room.reserve(pool, node, needs[col_c])
    return None


def _landing(layout: Layout, b: int, budget: float, col_a: int, node_a: int) -> int | None:
    """The cheapest column under `budget` where B would find room once A has left its node
    (A's node itself, or a node with room now), without reserving anything."""
    needs, costs = layout.needs, layout.costs
    k = layout.klass[layout.column[b]]
    now = layout.available(k)
    if now is not None and costs[now] < budget:
        budget = costs[now]
    there = layout.cheapest_at(k, layout.pools[col_a])
    if there is not None and costs[there] < budget:
        after_a = list(layout.room.free_of(layout.pools[col_a], node_a) or ())
        if after_a:
            for d, v in needs[col_a]:
                after_a[d] += v
            if all(after_a[d] + EPS >= v for d, v in needs[there]):
                return there
    return now if now is not None and costs[now] <= budget else None


def _land(layout: Layout, col: int, prefer: int) -> int | None:
    """Reserve one job of `col` (on node `prefer` if it fits there): its node, or None."""
    pool, need = layout.pools[col], layout.needs[col]
    if prefer >= 0 and layout.room.reserve(pool, prefer, need):
        return prefer
    got = layout.room.take(pool, need, 1)
    return None if got is None else got[0]


def repacks(layout: Layout, prices: np.ndarray, pools: int = 8, outsiders: int = 40) -> float:
    """Repack the `pools` pools with the most priced idle capacity (prices: (P, D))."""
    cols = layout.cols
    free = layout.room.free_rows()
    table = layout.room.table
    idle = np.zeros_like(cols.capacity)
    np.add.at(idle, table.node_pool, np.maximum(free, 0.0))
    worth = (idle * prices).sum(axis=1)
    worth[table.pool_elastic] = 0.0
    gain = 0.0
    layout.track_room()
    for pool in np.argsort(-worth, kind="stable")[:pools].tolist():
        if worth[pool] <= _tol(worth[pool]):
            break
        gain += _repack(layout, pool, outsiders)
    return gain


def _repack(layout: Layout, pool: int, outsiders: int) -> float:
    costs, pools, needs, column = layout.costs, layout.pools, layout.needs, layout.column
    room = layout.room
    nodes = sorted(room.node_state[pool])
    inside = [j for n in nodes for j in layout.residents[pool].get(n, [])]
    width = len(room.cap[pool]) if room.cap[pool] else layout.cols.need.shape[1]
    free = np.array([room.node_state[pool][n] for n in nodes], dtype=float).reshape(-1, width)
    at = {n: i for i, n in enumerate(nodes)}
    for j in inside:
        for d, v in needs[column[j]]:
            free[at[layout.node[j]], d] += v
    # inside jobs: worth staying = what their cheapest place elsewhere would cost more
    jobs, cols_of, worth = [], [], []
    for j in inside:
        col = column[j]
        away = layout.available(layout.klass[col], skip=pool)
        jobs.append(j)
        cols_of.append(col)
        worth.append(costs[away] - costs[col] if away is not None else 1e6 * (1 + costs[col]))
    # outside jobs with a column here cheaper than where they are, most gain first
    here = {layout.klass[c]: c for c in reversed(layout.pool_columns[pool].tolist())}
    gains = []
    for j, col in enumerate(column):
        if pools[col] == pool:
            continue
        c = here.get(layout.klass[col])
        if c is not None and costs[c] < costs[col] - _tol(costs[col]):
            gains.append((costs[col] - costs[c], j, c))
    gains.sort(reverse=True)
    for g, j, c in gains[:outsiders]:
        jobs.append(j)
        cols_of.append(c)
        worth.append(g)
    need = np.zeros((len(jobs), width))
    for i, c in enumerate(cols_of):
        for d, v in needs[c]:
            need[i, d] = v
    chosen = pack(free, need, np.array(worth))
    before = layout.cost()
    saved = layout.save()
    moved = _apply(layout, pool, nodes, jobs[: len(inside)], jobs, cols_of, chosen)
    if moved and layout.cost() < before - _tol(before):
        return before - layout.cost()
    layout.restore(saved)
    return 0.0


def _apply(
    layout: Layout,
    pool: int,
    nodes: list[int],
    inside: list[int],
    jobs: list[int],
    cols_of: list[int],
    chosen: list[int],
) -> bool:
    """Take the pool's moving jobs out, put the chosen jobs on their nodes and the inside
    jobs left out on their cheapest column with room."""
    room, pools, needs = layout.room, layout.pools, layout.needs
    for j, n in zip(jobs, chosen, strict=True):
        if n >= 0 or j in inside:
            col = layout.column[j]
            room.give_back(pools[col], layout.node[j], needs[col])
    for j, c, n in zip(jobs, cols_of, chosen, strict=True):
        if n >= 0:
            if not room.reserve(pool, nodes[n], needs[c]):
                return False
            layout.relocate(j, c, nodes[n])
    order = range(len(layout.costs))
    for j, n in zip(inside, chosen, strict=False):
        if n >= 0:
            continue
        k = layout.klass[layout.column[j]]
        found = layout.first_with_room(order, layout.start[k], layout.start[k + 1])
        if found is None:
            return False
        layout.relocate(j, *found)
    return True


def _fits_with(state: tuple[float, ...], freed: Need, need: Need) -> bool:
    """Would `need` fit in `state` once `freed` is given back?"""
    free = list(state)
    for d, v in freed:
        free[d] += v
    return all(free[d] + EPS >= v for d, v in need)


_BELOW = 1.0 - 1e-9  # x this: just under a (non-negative) cost
_NODES = 16  # nodes of a pool an eviction looks at (a big pool's first ones)


def _tol(value: float) -> float:
    return 1e-9 * max(1.0, abs(value))
