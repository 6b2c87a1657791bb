"""Layout: the moving jobs of a cycle on nodes, always a valid plan.

Every change goes through `Room` (take, reserve, give back), so no node is ever over-committed.
A layout is filled job by job (`fill`: each job, in a given order, takes the first of its
class's columns, in a given order, with room on a node: best fit); `search.py` then makes it
cheaper. Per job it keeps the column and node; per pool and node, the jobs there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from c2net.scheduler.columns import Columns
from c2net.scheduler.pools import EPS, Room
from c2net.scheduler.ranking import ClassPlan
from c2net.scheduler.select import Choice

__all__ = ["Columnar", "Layout", "Need"]

Need = list[tuple[int, float]]


@dataclass
class _Saved:
    room: Room
    column: list[int]
    node: list[int]
    residents: list[dict[int, list[int]]]
    roomy: np.ndarray | None


class Columnar:
    """Per column, as Python lists for the search loops (built once, shared by layouts): cost,
    pool, need ([(dim, amount)]) and class; columns of a class are start[k]:start[k + 1],
    cheapest first. Per pool: its columns and their distinct requests; per class: its cheapest
    column on each pool (both filled on first use)."""

    def __init__(self, cols: Columns, plans: Sequence[ClassPlan], n_pools: int) -> None:
        self.cols = cols
        self.costs: list[float] = cols.cost.tolist()
        self.pools: list[int] = cols.pool.tolist()
        self.start: list[int] = cols.start.tolist()
        self.klass: list[int] = cols.klass.tolist()
        options = (cols.candidate // n_pools).tolist()
        needs = [plans[k].needs for k in cols.classes]
        self.needs: list[Need] = [needs[k][o] for k, o in zip(self.klass, options, strict=True)]
        by_pool = np.argsort(cols.pool, kind="stable")
        bounds = np.searchsorted(cols.pool[by_pool], np.arange(n_pools + 1)).tolist()
        self.pool_columns = [by_pool[bounds[p] : bounds[p + 1]] for p in range(n_pools)]
        self.shapes: list[tuple[np.ndarray, np.ndarray, np.ndarray] | None] = [None] * n_pools
        self.here: dict[int, dict[int, int]] = {}


class Layout:
    """Jobs (queue positions) of the moving classes, each on one column and node."""

    def __init__(self, columnar: Columnar, room: Room) -> None:
        self.columnar = columnar
        self.cols = columnar.cols
        self.room = room
        self.costs, self.pools, self.start = columnar.costs, columnar.pools, columnar.start
        self.klass, self.needs = columnar.klass, columnar.needs
        self.pool_columns = columnar.pool_columns
        self.position: list[int] = []  # per job: queue position
        self.column: list[int] = []  # per job: its column
        self.node: list[int] = []  # per job: its node (index within the center)
        self.residents: list[dict[int, list[int]]] = [{} for _ in self.pool_columns]  # node: jobs
        self._roomy: np.ndarray | None = None  # (V,) bool: some node has room for the column
        self.chains = 0  # ejection chains (A evicts B, B evicts C) the search may still try

    # -- building -----------------------------------------------------------------------------

    def fill(self, jobs: Iterable[tuple[int, int]], order: Sequence[int]) -> bool:
        """Place (class, queue position) pairs in turn, each on the first column in `order`
        (column indices, grouped by class like the columns) with room. False if one has none."""
        for k, position in jobs:
            found = self.first_with_room(order, self.start[k], self.start[k + 1])
            if found is None:
                return False
            col, node = found
            self.column.append(col)
            self.node.append(node)
            self.position.append(position)
            self.residents[self.pools[col]].setdefault(node, []).append(len(self.column) - 1)
        return True

    def adopt(self, placed: Iterable[tuple[int, int, int]]) -> bool:
        """Place (column, queue position, node) triples where given. False if a node has no
        room (nothing is undone: discard the layout)."""
        for col, position, node in placed:
            if not self.room.reserve(self.pools[col], node, self.needs[col]):
                return False
            self.column.append(col)
            self.node.append(node)
            self.position.append(position)
            self.residents[self.pools[col]].setdefault(node, []).append(len(self.column) - 1)
        return True

    def first_with_room(
        self, order: Sequence[int], lo: int, hi: int, below: float = np.inf
    ) -> tuple[int, int] | None:
        """Reserve one job on the first column order[lo:hi] with room: (column, node).
        `below` (a cost, with columns in cost order) stops the scan."""
        room, pools, needs, costs = self.room, self.pools, self.needs, self.costs
        caps = room.cap
        for i in range(lo, hi):
            col = order[i]
            if costs[col] >= below:
                break
            pool, need = pools[col], needs[col]
            cap = caps[pool]
            if cap and not all(cap[d] + EPS >= v for d, v in need):
                continue
            got = room.take(pool, need, 1)
            if got is not None:
                return col, got[0]
        return None

    # -- changing -----------------------------------------------------------------------------

    def relocate(self, job: int, col: int, node: int) -> None:
        """Book-keeping for a job moved to (col, node): the caller updated the room."""
        old = self.pools[self.column[job]]
        self.residents[old][self.node[job]].remove(job)
        self.column[job], self.node[job] = col, node
        self.residents[self.pools[col]].setdefault(node, []).append(job)
        if self._roomy is not None:
            self.refresh(old)
            self.refresh(self.pools[col])

    def save(self) -> _Saved:
        return _Saved(
            self.room.copy(),
            list(self.column),
            list(self.node),
            [{n: list(js) for n, js in pool.items()} for pool in self.residents],
            None if self._roomy is None else self._roomy.copy(),
        )

    def restore(self, saved: _Saved) -> None:
        self.room, self.column, self.node = saved.room, saved.column, saved.node
        self.residents, self._roomy = saved.residents, saved.roomy

    # -- which columns have room ---------------------------------------------------------------

    def track_room(self) -> None:
        """From now on keep, per column, whether some node has room for one job."""
        if self._roomy is not None:
            return
        self._roomy = np.zeros(len(self.cols), dtype=bool)
        for pool in range(len(self.pool_columns)):
            self.refresh(pool)

    def refresh(self, pool: int) -> None:
        """Recompute which columns on `pool` have a node with room."""
        if self._roomy is None:
            return
        columns = self.pool_columns[pool]
        if self.room.elastic(pool):
            self._roomy[columns] = True
            return
        shapes, of_column, dims = self._shapes_of(pool)
        states = np.array(list(self.room.states[pool]), dtype=float).reshape(-1, self.room_width)
        if not len(states) or not len(columns):
            self._roomy[columns] = False
            return
        free = states[:, dims]
        fits = np.all(free[None, :, :] + EPS >= shapes[:, None, :], axis=2).any(axis=1)
        self._roomy[columns] = fits[of_column]

    def _shapes_of(self, pool: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The distinct requests of the pool's columns over the dims they use, and the index of
        each column's request."""
        cached = self.columnar.shapes[pool]
        if cached is None:
            mine = self.cols.shape[self.pool_columns[pool]]
            ids, of_column = np.unique(mine, return_inverse=True)
            shapes = self.cols.shapes[ids]
            dims = np.flatnonzero(shapes.any(axis=0)) if len(shapes) else np.zeros(0, np.int64)
            cached = self.columnar.shapes[pool] = (shapes[:, dims], of_column.reshape(-1), dims)
        return cached

    @property
    def room_width(self) -> int:
        return int(self.cols.need.shape[1])

    def cheapest_at(self, k: int, pool: int) -> int | None:
        """Class k's cheapest column on `pool`, if any."""
        here = self.columnar.here.get(k)
        if here is None:
            here = {}
            for col in range(self.start[k + 1] - 1, self.start[k] - 1, -1):
                here[self.pools[col]] = col
            self.columnar.here[k] = here
        return here.get(pool)

    def available(self, k: int, skip: int = -1) -> int | None:
        """Class k's cheapest column with room now (not on pool `skip`); needs track_room."""
        assert self._roomy is not None, "track_room first"
        lo, hi = self.start[k], self.start[k + 1]
        if hi <= lo:
            return None
        roomy = self._roomy[lo:hi]
        if skip >= 0:
            roomy = roomy & (self.cols.pool[lo:hi] != skip)
        i = int(np.argmax(roomy))
        return lo + i if roomy[i] else None

    # -- reading ------------------------------------------------------------------------------

    def cost(self) -> float:
        costs = self.costs
        return float(sum(costs[c] for c in self.column))

    def used(self) -> np.ndarray:
        """(V,) bool: columns some job sits on."""
        out = np.zeros(len(self.cols), dtype=bool)
        out[self.column] = True
        return out

    def choices(self) -> list[Choice]:
        cand = self.cols.candidate.tolist()
        return [
            Choice(p, cand[c], (n,))
            for p, c, n in zip(self.position, self.column, self.node, strict=True)
        ]
