"""A frozen view of the pool the scheduler decides on, and its array form."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from c2net.model import Center, Health, JobSpec, Resources

__all__ = ["Arrays", "QueuedJob", "Snapshot"]


@dataclass(frozen=True)
class QueuedJob:
    id: int
    spec: JobSpec
    submitted_at: float = 0.0


@dataclass(frozen=True)
class Snapshot:
    """Centers in network order and, per center, the free resources of each node."""

    centers: tuple[Center, ...]
    node_free: tuple[tuple[Resources, ...], ...]
    taken_at: float = 0.0

    @classmethod
    def idle(cls, centers: Sequence[Center], taken_at: float = 0.0) -> Snapshot:
        """Every node of every center free."""
        return cls(tuple(centers), tuple(tuple(c.node_shapes()) for c in centers), taken_at)

    @classmethod
    def with_allocations(
        cls,
        centers: Sequence[Center],
        allocations: Iterable[tuple[str, int, Resources]],
        taken_at: float = 0.0,
    ) -> Snapshot:
        """Node shapes minus what (center, node, resources) allocations hold."""
        free = {c.name: list(c.node_shapes()) for c in centers}
        for center, node, res in allocations:
            nodes = free.get(center)
            if nodes is not None and 0 <= node < len(nodes):
                nodes[node] = nodes[node] - res
        return cls(tuple(centers), tuple(tuple(free[c.name]) for c in centers), taken_at)


@dataclass
class Arrays:
    """The snapshot as numpy arrays over dimensions (cpus, memory_gb, accelerator types...)."""

    dims: list[str]
    node_total: np.ndarray  # (nodes, dims)
    node_free: np.ndarray  # (nodes, dims), updated as placements are made
    node_center: np.ndarray  # (nodes,) center index
    node_index: np.ndarray  # (nodes,) node index within its center
    unit_price: np.ndarray  # (centers, dims), NaN where the center sells no such thing
    healthy: np.ndarray  # (centers,) bool
    names: list[str]
    name_rank: np.ndarray  # (centers,) rank of the name, the deterministic tie-break

    @classmethod
    def build(cls, snapshot: Snapshot, extra_types: Iterable[str] = ()) -> Arrays:
        centers = snapshot.centers
        types = sorted(
            {t for c in centers for t in c.accelerator_types()}
            | {t for nodes in snapshot.node_free for n in nodes for t in n.accelerators}
            | set(extra_types)
        )
        dims = ["cpus", "memory_gb", *types]
        totals, frees, owner, index = [], [], [], []
        for ci, (center, free_nodes) in enumerate(zip(centers, snapshot.node_free, strict=True)):
            for ni, (shape, free) in enumerate(zip(center.node_shapes(), free_nodes, strict=True)):
                totals.append(cls._row(shape, types))
                frees.append(cls._row(free, types))
                owner.append(ci)
                index.append(ni)
        price = np.full((len(centers), len(dims)), np.nan)
        for ci, center in enumerate(centers):
            price[ci, 0] = center.prices.cpu_hour
            price[ci, 1] = center.prices.memory_gb_hour
            for ti, t in enumerate(types):
                if t in center.prices.accelerator_hour:
                    price[ci, 2 + ti] = center.prices.accelerator_hour[t]
        names = [c.name for c in centers]
        rank = np.empty(len(names), dtype=np.int64)
        rank[np.argsort(np.array(names, dtype=object), kind="stable")] = np.arange(len(names))
        width = len(dims)
        return cls(
            dims=dims,
            node_total=np.array(totals, dtype=float).reshape(-1, width),
            node_free=np.array(frees, dtype=float).reshape(-1, width),
            node_center=np.array(owner, dtype=np.int64),
            node_index=np.array(index, dtype=np.int64),
            unit_price=price,
            healthy=np.array([c.health == Health.HEALTHY for c in centers], dtype=bool),
            names=names,
            name_rank=rank,
        )

    @staticmethod
    def _row(r: Resources, types: list[str]) -> list[float]:
        return [r.cpus, r.memory_gb, *(float(r.accelerators.get(t, 0)) for t in types)]

    def vector(self, request: Resources) -> np.ndarray | None:
        """The request over these dims, or None if it asks for a type no center has."""
        if any(t not in self.dims for t in request.accelerators):
            return None
        vec = np.zeros(len(self.dims))
        vec[0], vec[1] = request.cpus, request.memory_gb
        for t, n in request.accelerators.items():
            vec[self.dims.index(t)] = n
        return vec
