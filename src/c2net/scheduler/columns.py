"""Columns: the variables of a cycle's placement LP, one per (moving job class x candidate).

A column is one way to run one job of a class: a candidate (option x pool) that passed every
filter and on which some node still has room for one job. Columns are grouped by class and
sorted by cost within each class (the cheapest first), so that per-class minima are a
`reduceat` and per-class scans stop at the first column too dear. The pool capacities are what
the nodes have free for the moving jobs (after fixed and preempting jobs took theirs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from c2net.scheduler.pools import EPS, PoolTable
from c2net.scheduler.ranking import ClassPlan

__all__ = ["Columns"]


@dataclass(frozen=True)
class Columns:
    """V columns over K moving classes, P pools and D dims."""

    classes: tuple[int, ...]  # (K,) the moving classes, as indices into the cycle's plans
    count: np.ndarray  # (K,) jobs of each moving class to place
    start: np.ndarray  # (K + 1,) class k's columns are start[k]:start[k + 1]
    klass: np.ndarray  # (V,) index into `classes`
    candidate: np.ndarray  # (V,) index into the class's CandidateView
    pool: np.ndarray  # (V,)
    cost: np.ndarray  # (V,) cost of one job there
    need: np.ndarray  # (V, D) per-node request, zero on elastic pools (they never fill)
    capacity: np.ndarray  # (P, D) free over the pool's listed nodes, zero on elastic pools
    shape: np.ndarray  # (V,) index into `shapes` of the column's request
    shapes: np.ndarray  # (S, D) the distinct per-node requests

    @classmethod
    def build(
        cls,
        plans: Sequence[ClassPlan],
        counts: dict[int, int],
        table: PoolTable,
        free: np.ndarray,
    ) -> Columns:
        """`counts`: jobs to place per class; `free`: (N, D) node rows free for them."""
        classes = tuple(sorted(counts))
        n_pools, width = len(table.pool_name), len(table.dims)
        elastic = table.pool_elastic
        pool_max = np.full((n_pools, width), -np.inf)
        np.maximum.at(pool_max, table.node_pool, free)
        pool_max[elastic] = np.inf
        capacity = np.zeros((n_pools, width))
        np.add.at(capacity, table.node_pool, np.maximum(free, 0.0))
        capacity[elastic] = 0.0
        orders = [plans[k].order for k in classes]
        sizes = np.array([len(o) for o in orders], dtype=np.int64)
        klass = np.repeat(np.arange(len(classes), dtype=np.int64), sizes)
        candidate = np.concatenate(orders).astype(np.int64) if orders else np.zeros(0, np.int64)
        batch = plans[classes[0]].view.batch if classes else None
        if batch is None or not len(candidate):
            return cls._empty(classes, counts, width, capacity)
        row = batch.first_row[np.array(classes, dtype=np.int64)[klass]] + candidate // n_pools
        shapes, row_shape = np.unique(batch.row_vector, axis=0, return_inverse=True)
        pool = candidate % n_pools
        need = batch.row_vector[row]
        fits = np.all(pool_max[pool] + EPS >= need, axis=1)
        klass, candidate, row, pool, need = (
            klass[fits],
            candidate[fits],
            row[fits],
            pool[fits],
            need[fits],
        )
        cost = batch.cost[row, pool]
        order = np.lexsort((candidate, cost, klass))  # by class, then cost (stable on ties)
        klass, candidate, pool, cost, need, row = (
            klass[order],
            candidate[order],
            pool[order],
            cost[order],
            need[order] * ~elastic[pool[order], None],
            row[order],
        )
        start = np.searchsorted(klass, np.arange(len(classes) + 1)).astype(np.int64)
        return cls(
            classes,
            np.array([counts[k] for k in classes], dtype=float),
            start,
            klass,
            candidate,
            pool,
            cost,
            need,
            capacity,
            row_shape.reshape(-1)[row],
            shapes,
        )

    @classmethod
    def _empty(
        cls, classes: tuple[int, ...], counts: dict[int, int], width: int, capacity: np.ndarray
    ) -> Columns:
        none = np.zeros(0, dtype=np.int64)
        return cls(
            classes,
            np.array([counts[k] for k in classes], dtype=float),
            np.zeros(len(classes) + 1, dtype=np.int64),
            none,
            none,
            none,
            np.zeros(0),
            np.zeros((0, width)),
            capacity,
            none,
            np.zeros((0, width)),
        )

    def __len__(self) -> int:
        return len(self.klass)

    @property
    def complete(self) -> bool:
        """Every moving class has at least one column (else no plan places them all)."""
        return bool(np.all(np.diff(self.start) > 0))

    @cached_property
    def rank(self) -> np.ndarray:
        """(V,) position of each column in its class's cost order (0 = cheapest)."""
        return np.asarray(np.arange(len(self)) - self.start[self.klass])

    def locate(self, klass: np.ndarray, candidate: np.ndarray) -> np.ndarray:
        """Column index of each (class index, candidate) pair, -1 where there is none."""
        klass, candidate = np.asarray(klass, dtype=np.int64), np.asarray(candidate, np.int64)
        if not len(self):
            return np.full(len(klass), -1, dtype=np.int64)
        width = int(max(self.candidate.max(), candidate.max(initial=0))) + 1
        keys = self.klass * width + self.candidate
        order = np.argsort(keys, kind="stable")
        wanted = klass * width + candidate
        at = order[np.minimum(np.searchsorted(keys[order], wanted), len(keys) - 1)]
        return np.where(keys[at] == wanted, at, -1)

    def minimum(self, values: np.ndarray) -> np.ndarray:
        """(K,) the smallest of `values` (one per column) over each class's columns."""
        return np.asarray(np.minimum.reduceat(values, self.start[:-1]))

    def priced(self, prices: np.ndarray) -> np.ndarray:
        """(V,) cost plus the resources each column uses at `prices` ((P, D), per unit)."""
        return np.asarray(self.cost + np.einsum("vd,vd->v", self.need, prices[self.pool]))
