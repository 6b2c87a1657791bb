"""A frozen view of the pool the scheduler decides on.

Only `centers` and `node_free` are required; everything else has a default that reproduces the
v1 behaviour (no datasets, no latency matrix, one account of weight 1, nothing running known),
so a caller that does not know a feature yet keeps working.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from c2net.model import Center, JobSpec, Prices, Resources
from c2net.model.accelerators import Catalogue, builtin_catalogue
from c2net.scheduler.topology import Network

__all__ = ["Account", "Dataset", "PriceBook", "QueuedJob", "Running", "Snapshot"]


@dataclass(frozen=True)
class QueuedJob:
    id: int
    spec: JobSpec
    submitted_at: float = 0.0
    account: str = ""  # the tenant it is charged to ("" = the default account)
    home: str = ""  # the consumer's home hub ("" = unknown: no latency limit applies)


@dataclass(frozen=True)
class Running:
    """An allocation held now (one node of a job), as the store knows it."""

    job_id: int
    center: str
    node: int
    resources: Resources
    account: str = ""
    spot: bool = False
    priority: str = "normal"
    started_at: float = 0.0
    ends_at: float | None = None  # estimated (start + the spec's runtime); None = unknown


@dataclass(frozen=True)
class Dataset:
    center: str  # where it is stored
    size_gb: float


@dataclass(frozen=True)
class Account:
    """A tenant: its fair-share weight and its quota (maximum in use at once; None = no limit)."""

    weight: float = 1.0
    max_cpus: float | None = None
    max_memory_gb: float | None = None
    max_accelerators: int | None = None  # devices of any type

    @property
    def limited(self) -> bool:
        return (
            self.max_cpus is not None
            or self.max_memory_gb is not None
            or self.max_accelerators is not None
        )


@dataclass(frozen=True)
class PriceBook:
    """Prices beyond each center's own (`Center.prices`, per unit, and `NodePool.price`, per
    whole node).

    `spot`: unit spot prices per center (a spot job pays these; no entry = the on-demand price).
    `egress`: per center, its price per GB of data sent out of it (no entry = the network's
    `egress_per_gb`), from the center's tariff.
    """

    spot: Mapping[str, Prices] = field(default_factory=dict)
    egress: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Snapshot:
    """Centers in network order and, per center, the free resources of each node."""

    centers: tuple[Center, ...]
    node_free: tuple[tuple[Resources, ...], ...]
    taken_at: float = 0.0
    datasets: Mapping[str, Dataset] = field(default_factory=dict)
    network: Network = field(default_factory=Network)
    accounts: Mapping[str, Account] = field(default_factory=dict)
    running: tuple[Running, ...] = ()
    prices: PriceBook = field(default_factory=PriceBook)
    catalogue: Catalogue = field(default_factory=builtin_catalogue)

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

    @classmethod
    def of_running(
        cls, centers: Sequence[Center], running: Iterable[Running], taken_at: float = 0.0
    ) -> Snapshot:
        """Like with_allocations, keeping who holds what (for fairness, preemption, start times)."""
        held = tuple(running)
        snap = cls.with_allocations(centers, ((r.center, r.node, r.resources) for r in held))
        return cls(snap.centers, snap.node_free, taken_at, running=held)

    def account(self, name: str) -> Account:
        return self.accounts.get(name) or Account()
