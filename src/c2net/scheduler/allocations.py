"""What runs now, as arrays: who holds which node, until when, and whether it may be preempted.

Used for estimated start times (when will room free for a waiting class?) and for preemption
(which spot allocations could make room for on-demand work?).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from c2net.model.spec import PRIORITY_CLASSES
from c2net.scheduler.pools import EPS, PoolTable
from c2net.scheduler.ranking import ClassPlan
from c2net.scheduler.snapshot import Snapshot

__all__ = ["Allocations"]


@dataclass
class Allocations:
    """Running allocations on known nodes (R rows)."""

    index: np.ndarray  # (R,) position in snapshot.running
    job: np.ndarray  # (R,)
    pool: np.ndarray  # (R,)
    node: np.ndarray  # (R,) index within the center
    row: np.ndarray  # (R,) row in PoolTable.node_free
    vector: np.ndarray  # (R, D)
    ends: np.ndarray  # (R,) estimated end, NaN unknown
    started: np.ndarray  # (R,)
    spot: np.ndarray  # (R,) bool
    priority: np.ndarray  # (R,) priority class rank

    @classmethod
    def build(cls, snapshot: Snapshot, table: PoolTable) -> Allocations:
        center_of = {name: i for i, name in enumerate(table.names)}
        per_center = np.bincount(
            table.pool_center, weights=table.pool_count, minlength=len(table.names)
        )
        offsets = np.concatenate([[0], np.cumsum(per_center)]).astype(np.int64)
        rows: list[tuple[int, int, int, int, int]] = []
        for i, r in enumerate(snapshot.running):
            ci = center_of.get(r.center)
            if ci is None:
                continue
            row = int(offsets[ci]) + r.node
            if not 0 <= r.node < int(offsets[ci + 1] - offsets[ci]):
                continue
            rows.append((i, r.job_id, int(table.node_pool[row]), r.node, row))
        idx = np.array([x[0] for x in rows], dtype=np.int64)
        held = [snapshot.running[i] for i in idx.tolist()]
        rank = {name: k for k, name in enumerate(PRIORITY_CLASSES)}
        return cls(
            index=idx,
            job=np.array([x[1] for x in rows], dtype=np.int64),
            pool=np.array([x[2] for x in rows], dtype=np.int64),
            node=np.array([x[3] for x in rows], dtype=np.int64),
            row=np.array([x[4] for x in rows], dtype=np.int64),
            vector=np.array([table.vector(r.resources) for r in held]).reshape(-1, len(table.dims)),
            ends=np.array([math.nan if r.ends_at is None else r.ends_at for r in held]),
            started=np.array([r.started_at for r in held], dtype=float),
            spot=np.array([r.spot for r in held], dtype=bool),
            priority=np.array([rank.get(r.priority, 1) for r in held], dtype=np.int64),
        )

    def __len__(self) -> int:
        return len(self.index)

    def release_times(self, plan: ClassPlan, free: np.ndarray) -> np.ndarray:
        """Sorted end times of allocations whose release would give one of the class's
        feasible candidates room (`free`: (N, D) node rows free now)."""
        if not len(self) or not plan.feasible:
            return np.zeros(0)
        table = plan.view.ctx.table
        wanted = np.full((len(table.pool_name), len(table.dims)), np.inf)
        for i in plan.order[::-1]:  # the preferred candidate per pool wins
            wanted[plan.view.pool[i]] = plan.view.vector[i]
        fits = np.all(free[self.row] + self.vector + EPS >= wanted[self.pool], axis=1)
        times = self.ends[fits & ~np.isnan(self.ends)]
        return np.sort(times)
