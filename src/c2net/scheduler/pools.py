"""The snapshot as arrays over node pools, and the room left on their nodes during a cycle.

A pool is `count` nodes of one shape at one center, priced alike: the unit the scheduler ranks
("center-flavor"). `PoolTable` holds what does not change within a cycle; `Room` holds each
node's free resources, grouped by equal free vectors so that finding the best-fitting node costs
one pass over a handful of distinct states, not over every node.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from c2net.model import Center, Health, Prices, Resources
from c2net.scheduler.snapshot import Snapshot

__all__ = ["PoolTable", "Room"]

EPS = 1e-9


def _row(r: Resources, types: list[str]) -> list[float]:
    return [r.cpus, r.memory_gb, *(float(r.accelerators.get(t, 0)) for t in types)]


def _unit_prices(prices: Prices, types: list[str]) -> list[float]:
    acc = [prices.accelerator_hour.get(t, math.nan) for t in types]
    return [prices.cpu_hour, prices.memory_gb_hour, *acc]


@dataclass
class PoolTable:
    """Static arrays: pools (P), centers (C), nodes (N) over dims (cpus, memory_gb, types...)."""

    dims: list[str]
    centers: tuple[Center, ...]
    names: list[str]  # center names, network order
    name_rank: np.ndarray  # (C,) rank of the name A-Z, the deterministic tie-break
    healthy: np.ndarray  # (C,) bool
    hubs: list[str]  # (C,)
    roles: list[str]  # (C,)
    unit_price: np.ndarray  # (C, D) on-demand, NaN where not sold
    spot_unit_price: np.ndarray  # (C, D)
    pool_center: np.ndarray  # (P,)
    pool_name: list[str]  # (P,)
    pool_shape: np.ndarray  # (P, D)
    pool_count: np.ndarray  # (P,) listed nodes
    pool_first: np.ndarray  # (P,) node index (within the center) of the pool's first node
    pool_elastic: np.ndarray  # (P,) bool: grows on demand
    node_price: np.ndarray  # (P,) whole-node price per hour, NaN = priced per unit
    node_spot_price: np.ndarray  # (P,)
    fresh_node: np.ndarray  # (C,) the first node index an elastic center has not handed out
    node_free: np.ndarray  # (N, D) free now
    node_pool: np.ndarray  # (N,)
    node_index: np.ndarray  # (N,) index within its center

    @property
    def dim_index(self) -> dict[str, int]:
        return {d: i for i, d in enumerate(self.dims)}

    def vector(self, request: Resources) -> np.ndarray:
        """The request over these dims (types must be dims: build with extra_types)."""
        index = self.dim_index
        vec = np.zeros(len(self.dims))
        vec[0], vec[1] = request.cpus, request.memory_gb
        for t, n in request.accelerators.items():
            vec[index[t]] = n
        return vec

    @classmethod
    def build(cls, snapshot: Snapshot, extra_types: Iterable[str] = ()) -> PoolTable:
        centers = snapshot.centers
        book = snapshot.prices
        types = sorted(
            {t for c in centers for t in c.accelerator_types()}
            | {t for nodes in snapshot.node_free for n in nodes for t in n.accelerators}
            | set(extra_types)
        )
        dims = ["cpus", "memory_gb", *types]
        width = len(dims)
        unit = np.array([_unit_prices(c.prices, types) for c in centers]).reshape(-1, width)
        spot = np.array(
            [_unit_prices(book.spot.get(c.name, c.prices), types) for c in centers]
        ).reshape(-1, width)
        p_center, p_name, p_shape, p_count, p_first, p_elastic = [], [], [], [], [], []
        p_price, p_spot = [], []
        for ci, center in enumerate(centers):
            first = 0
            for pool in center.pools:
                p_center.append(ci)
                p_name.append(pool.name)
                p_shape.append(_row(pool.shape, types))
                p_count.append(pool.count)
                p_first.append(first)
                p_elastic.append(center.elastic)
                on_demand = math.nan if pool.price is None else pool.price
                p_price.append(on_demand)
                p_spot.append(on_demand if pool.spot_price is None else pool.spot_price)
                first += pool.count
        n_free, n_pool, n_index = [], [], []
        pool_at = 0
        for center, free_nodes in zip(centers, snapshot.node_free, strict=True):
            ni = 0
            for pool in center.pools:
                for _ in range(pool.count):
                    n_free.append(_row(free_nodes[ni], types))
                    n_pool.append(pool_at)
                    n_index.append(ni)
                    ni += 1
                pool_at += 1
        names = [c.name for c in centers]
        fresh = [c.node_count for c in centers]
        elastic = {name: ci for ci, name in enumerate(names) if centers[ci].elastic}
        for r in snapshot.running if elastic else ():  # a fresh VM: a number no job holds
            held = elastic.get(r.center)
            if held is not None:
                fresh[held] = max(fresh[held], r.node + 1)
        rank = np.empty(len(names), dtype=np.int64)
        rank[np.argsort(np.array(names, dtype=object), kind="stable")] = np.arange(len(names))
        return cls(
            dims=dims,
            centers=centers,
            names=names,
            name_rank=rank,
            healthy=np.array([c.health == Health.HEALTHY for c in centers], dtype=bool),
            hubs=[c.hub for c in centers],
            roles=[c.role for c in centers],
            unit_price=unit,
            spot_unit_price=spot,
            pool_center=np.array(p_center, dtype=np.int64),
            pool_name=p_name,
            pool_shape=np.array(p_shape, dtype=float).reshape(-1, width),
            pool_count=np.array(p_count, dtype=np.int64),
            pool_first=np.array(p_first, dtype=np.int64),
            pool_elastic=np.array(p_elastic, dtype=bool),
            node_price=np.array(p_price, dtype=float),
            node_spot_price=np.array(p_spot, dtype=float),
            fresh_node=np.array(fresh, dtype=np.int64),
            node_free=np.array(n_free, dtype=float).reshape(-1, width),
            node_pool=np.array(n_pool, dtype=np.int64),
            node_index=np.array(n_index, dtype=np.int64),
        )

    def capacity(self) -> np.ndarray:
        """(D,) total of the healthy, listed (not elastic) nodes: the fair-share denominator."""
        live = self.healthy[self.pool_center] & ~self.pool_elastic
        return np.asarray((self.pool_shape[live] * self.pool_count[live, None]).sum(axis=0))


State = tuple[float, ...]


class Room:
    """Free resources per node, grouped per pool by equal free vectors (best fit in one pass).

    `need` lists are [(dim, amount)] over the dims a request uses; a state fits when
    state[dim] + EPS >= amount for each.
    """

    def __init__(self, table: PoolTable) -> None:
        self._table = table
        self._scale = [1.0 / max(float(v), EPS) for v in table.pool_shape.max(axis=0, initial=1)]
        self._elastic = table.pool_elastic.tolist()
        # per pool: state -> min-heap of node indices (within the center)
        self.states: list[dict[State, list[int]]] = [{} for _ in table.pool_name]
        self.node_state: list[dict[int, State]] = [{} for _ in table.pool_name]
        # per pool: at least the max free per dim over its nodes (a quick "no"); refreshed
        # when it let through a request no node could take
        self.cap: list[State] = [() for _ in table.pool_name]
        self._norms: dict[State, float] = {}
        self._center = table.pool_center.tolist()
        self._next_elastic = table.fresh_node.tolist()  # per center: nodes are center-wide
        pools, nodes = table.node_pool.tolist(), table.node_index.tolist()
        for row, free in enumerate(table.node_free.tolist()):
            state = tuple(free)
            heapq.heappush(self.states[pools[row]].setdefault(state, []), nodes[row])
            self.node_state[pools[row]][nodes[row]] = state
        for pool in range(len(self.states)):
            self._recap(pool)

    def _recap(self, pool: int) -> None:
        states = self.states[pool]
        self.cap[pool] = tuple(map(max, zip(*states, strict=False))) if states else ()

    def _norm(self, state: State) -> float:
        norm = self._norms.get(state)
        if norm is None:
            norm = self._norms[state] = sum(v * s for v, s in zip(state, self._scale, strict=True))
        return norm

    def _put(self, pool: int, node: int, state: State) -> None:
        heapq.heappush(self.states[pool].setdefault(state, []), node)
        self.node_state[pool][node] = state

    def _detach(self, pool: int, state: State, node: int) -> None:
        nodes = self.states[pool][state]
        nodes.remove(node)
        heapq.heapify(nodes)
        if not nodes:
            del self.states[pool][state]

    @staticmethod
    def _fits(state: State, need: list[tuple[int, float]]) -> bool:
        return all(state[d] + EPS >= v for d, v in need)

    def take(self, pool: int, need: list[tuple[int, float]], count: int) -> list[int] | None:
        """Reserve `count` nodes of `pool` with room for `need` each.

        Best fit: the fullest nodes that still fit, lowest node index on ties, so whole nodes
        stay free for large jobs. Returns the node indices, or None (nothing reserved).
        """
        if self._elastic[pool]:
            ci = self._center[pool]
            start = self._next_elastic[ci]
            self._next_elastic[ci] += count
            return list(range(start, start + count))
        cap = self.cap[pool]
        if not cap or not self._fits(cap, need):
            return None
        if count == 1:
            taken = self._take_one(pool, need)
            if taken is None:
                self._recap(pool)
            return taken
        fitting = sorted(
            (self._norm(state), nodes[0], state)
            for state, nodes in self.states[pool].items()
            if self._fits(state, need)
        )
        chosen: list[tuple[State, int]] = []
        for _, _, state in fitting:
            for node in sorted(self.states[pool][state])[: count - len(chosen)]:
                chosen.append((state, node))
        if len(chosen) < count:
            self._recap(pool)
            return None
        for state, node in chosen:
            self._detach(pool, state, node)
            self._put(pool, node, _minus(state, need))
        return [node for _, node in chosen]

    def _take_one(self, pool: int, need: list[tuple[int, float]]) -> list[int] | None:
        best: State | None = None
        best_key = (math.inf, 0)
        norms = self._norms
        for state, nodes in self.states[pool].items():
            for d, v in need:
                if state[d] + EPS < v:
                    break
            else:
                norm = norms.get(state)
                if norm is None:
                    norm = self._norm(state)
                key = (norm, nodes[0])
                if key < best_key:
                    best, best_key = state, key
        if best is None:
            return None
        states = self.states[pool]
        nodes = states[best]
        node = heapq.heappop(nodes)
        if not nodes:
            del states[best]
        new = _minus(best, need)
        heapq.heappush(states.setdefault(new, []), node)
        self.node_state[pool][node] = new
        return [node]

    def reserve(self, pool: int, node: int, need: list[tuple[int, float]]) -> bool:
        """Take `need` on one given node if it has room (False, nothing taken, if not)."""
        if self._elastic[pool]:
            return True
        state = self.node_state[pool].get(node)
        if state is None or not self._fits(state, need):
            return False
        self._detach(pool, state, node)
        self._put(pool, node, _minus(state, need))
        return True

    def give_back(self, pool: int, node: int, amount: Iterable[tuple[int, float]]) -> None:
        """Return resources to a node (a preempted allocation, an undone reservation)."""
        if self._elastic[pool]:
            return
        state = self.node_state[pool][node]
        self._detach(pool, state, node)
        new = list(state)
        for d, v in amount:
            new[d] += v
        self._put(pool, node, tuple(new))
        self._recap(pool)

    @property
    def table(self) -> PoolTable:
        return self._table

    def elastic(self, pool: int) -> bool:
        return bool(self._elastic[pool])

    def free_of(self, pool: int, node: int) -> State | None:
        return self.node_state[pool].get(node)

    def copy(self) -> Room:
        """An independent copy (reservations on it leave this one as it is)."""
        other = Room.__new__(Room)
        other._table, other._scale, other._elastic = self._table, self._scale, self._elastic
        other._center = self._center
        other.states = [{s: list(nodes) for s, nodes in pool.items()} for pool in self.states]
        other.node_state = [dict(pool) for pool in self.node_state]
        other.cap = list(self.cap)
        other._norms = self._norms  # a cache of a pure function of the state
        other._next_elastic = list(self._next_elastic)
        return other

    def free_rows(self) -> np.ndarray:
        """(N, D) free per listed node now, rows as in PoolTable.node_free."""
        table = self._table
        free = table.node_free.copy()
        base = np.concatenate([[0], np.cumsum(table.pool_count)[:-1]]) - table.pool_first
        for pool, states in enumerate(self.node_state):
            for node, state in states.items():
                free[int(base[pool]) + node] = state
        return free


def _minus(state: State, need: list[tuple[int, float]]) -> State:
    new = list(state)
    for d, v in need:
        new[d] -= v
    return tuple(new)
