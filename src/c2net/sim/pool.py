"""The simulated pool: every node's free resources and every center's health, kept current.

The scheduler reads it through `snapshot()`, a plain `Snapshot`; the numpy mirror only answers
"could any node hold this job now?" so the engine does not hand the scheduler jobs that would
all come back BUSY.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from c2net.model import Center, Health, Resources
from c2net.scheduler import Network, Snapshot

__all__ = ["Pool", "request_key"]

_EPS = 1e-9


def request_key(res: Resources) -> tuple[object, ...]:
    """A cheap hashable key of a request (equal requests, equal keys)."""
    return (res.cpus, res.memory_gb, *sorted(res.accelerators.items()))


class Pool:
    def __init__(self, centers: Sequence[Center], network: Network | None = None) -> None:
        self.centers = list(centers)
        elastic = [c.name for c in self.centers if c.elastic]
        if elastic:
            raise ValueError(f"the simulator models listed nodes only, not elastic {elastic}")
        self.network = network or Network()
        self.index = {c.name: i for i, c in enumerate(self.centers)}
        self.dims = [
            "cpus",
            "memory_gb",
            *sorted({t for c in centers for t in c.accelerator_types()}),
        ]
        self._free = [list(c.node_shapes()) for c in self.centers]
        rows = [self._row(n) for nodes in self._free for n in nodes]
        self._total = np.array(rows, dtype=float).reshape(-1, len(self.dims))
        self._free_mat = self._total.copy()
        self._node_center = np.array(
            [ci for ci, nodes in enumerate(self._free) for _ in nodes], dtype=np.int64
        )
        self._offset = np.cumsum([0] + [len(n) for n in self._free])[:-1]
        self._healthy = np.ones(len(self.centers), dtype=bool)
        self.changed: set[int] = set(range(len(self.centers)))  # centers touched since cleared
        self.health_version = 0  # bumped on every health change
        self._fitting: dict[tuple[object, ...], np.ndarray | None] = {}
        self._vectors: dict[tuple[object, ...], np.ndarray] = {}
        self._stale: set[int] = set()  # node rows whose Resources in _free lag _free_mat

    def _row(self, r: Resources) -> list[float]:
        return [r.cpus, r.memory_gb, *(float(r.accelerators.get(t, 0)) for t in self.dims[2:])]

    def _vector(self, res: Resources) -> np.ndarray:
        key = request_key(res)
        vec = self._vectors.get(key)
        if vec is None:
            vec = self._vectors[key] = np.array(self._row(res), dtype=float)
        return vec

    def _refresh(self) -> None:
        """Bring the stale nodes' Resources up to date with the free matrix (same arithmetic:
        the matrix adds and subtracts the very numbers Resources would)."""
        types = self.dims[2:]
        for i in self._stale:
            ci = int(self._node_center[i])
            cpus, memory, *acc = self._free_mat[i].tolist()
            free = Resources(
                cpus, memory, {t: round(n) for t, n in zip(types, acc, strict=True) if n}
            )
            self._free[ci][i - int(self._offset[ci])] = free
        self._stale.clear()

    def vector(self, res: Resources) -> np.ndarray | None:
        """The request over the pool's dims, or None if it asks for a type no center has."""
        if any(t not in self.dims for t in res.accelerators):
            return None
        return np.array(self._row(res), dtype=float)

    def fitting_vector(self, res: Resources) -> np.ndarray | None:
        """`vector(res)` when some node could ever hold it, else None (cached per request)."""
        key = request_key(res)
        if key not in self._fitting:
            vector = self.vector(res)
            self._fitting[key] = vector if vector is not None and self.ever_fits(vector) else None
        return self._fitting[key]

    def healthy(self, ci: int) -> bool:
        return bool(self._healthy[ci])

    def set_health(self, ci: int, healthy: bool) -> None:
        self._healthy[ci] = healthy
        self.health_version += 1
        self.changed.add(ci)
        health = Health.HEALTHY if healthy else Health.UNHEALTHY
        self.centers[ci] = replace(self.centers[ci], health=health)

    def allocate(self, ci: int, node: int, res: Resources) -> None:
        i = int(self._offset[ci]) + node
        self._free_mat[i] -= self._vector(res)
        self._stale.add(i)

    def release(self, ci: int, node: int, res: Resources) -> None:
        i = int(self._offset[ci]) + node
        self._free_mat[i] += self._vector(res)
        self._stale.add(i)
        self.changed.add(ci)

    def snapshot(self, now: float, only: int | None = None) -> Snapshot:
        """The scheduler's view: all centers, or just center `only`."""
        self._refresh()
        if only is not None:
            free: tuple[tuple[Resources, ...], ...] = (tuple(self._free[only]),)
            return Snapshot((self.centers[only],), free, now, network=self.network)
        free = tuple(tuple(n) for n in self._free)
        return Snapshot(tuple(self.centers), free, now, network=self.network)

    def idle_snapshot(self, now: float) -> Snapshot:
        """Every node free, health as it is now: what a broker blind to queueing sees."""
        shapes = tuple(tuple(c.node_shapes()) for c in self.centers)
        return Snapshot(tuple(self.centers), shapes, now, network=self.network)

    def room_now(self, vectors: np.ndarray, only: int | None = None) -> np.ndarray:
        """Per request row: does some node of a healthy center (or of center `only`) fit it now?"""
        if len(vectors) == 0:
            return np.zeros(0, dtype=bool)
        live = self._healthy[self._node_center]
        if only is not None:
            live = live & (self._node_center == only)
        free = self._free_mat[live]
        shapes, inverse = np.unique(vectors, axis=0, return_inverse=True)
        fits = np.all(free[None, :, :] + _EPS >= shapes[:, None, :], axis=2).any(axis=1)
        out: np.ndarray = fits[inverse.reshape(-1)]
        return out

    def ever_fits(self, vector: np.ndarray) -> bool:
        """Some node, empty, could hold the request (health aside)."""
        return bool(np.all(self._total + _EPS >= vector, axis=1).any())
