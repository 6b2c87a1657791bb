"""Compute centers: node pools (count x node shape), prices and health.

A center is priced per unit (cpu-hour, GB-hour, device-hour: a job pays for what it asks) or,
a cloud, per whole node (a job rents the VM, whatever part of it it uses: `NodePool.price`). An
elastic center's pools grow on demand: a job never waits for a node there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from c2net.model.resources import Resources

__all__ = ["Center", "Health", "NodePool", "Prices"]


class Health(StrEnum):
    HEALTHY = "HEALTHY"
    UNHEALTHY = "UNHEALTHY"


@dataclass(frozen=True)
class NodePool:
    """`count` identical nodes of one shape; `price`/`spot_price` per node-hour when the node is
    rented whole (None: priced per unit by the center's Prices; no spot price: on-demand)."""

    name: str
    count: int
    shape: Resources
    price: float | None = None
    spot_price: float | None = None

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"node pool {self.name}: count must be >= 1, got {self.count}")
        if self.shape.cpus <= 0 or self.shape.memory_gb <= 0:
            raise ValueError(f"node pool {self.name}: a node needs cpus > 0 and memory > 0")
        for what, value in (("price", self.price), ("spot_price", self.spot_price)):
            if value is not None and not 0 <= value < float("inf"):
                raise ValueError(f"node pool {self.name}: {what} must be >= 0, got {value}")
        if self.spot_price is not None and self.price is None:
            raise ValueError(f"node pool {self.name}: a spot_price needs a price")


@dataclass(frozen=True)
class Prices:
    """Unit prices per hour (in `currency`): per cpu, per GB of memory, per accelerator by type."""

    cpu_hour: float
    memory_gb_hour: float
    accelerator_hour: Mapping[str, float] = field(default_factory=dict)
    currency: str = "CNY"

    def hourly(self, request: Resources) -> float | None:
        """Price per hour of `request`, or None when an accelerator it asks for has no price."""
        total = request.cpus * self.cpu_hour + request.memory_gb * self.memory_gb_hour
        for name, count in request.accelerators.items():
            unit = self.accelerator_hour.get(name)
            if unit is None:
                return None
            total += count * unit
        return total

    def to_dict(self) -> dict[str, object]:
        return {
            "cpu_hour": self.cpu_hour,
            "memory_gb_hour": self.memory_gb_hour,
            "accelerator_hour": dict(sorted(self.accelerator_hour.items())),
            "currency": self.currency,
        }


@dataclass(frozen=True)
class Center:
    """A compute center as the gateway knows it."""

    name: str
    hub: str
    region: str
    pools: tuple[NodePool, ...]
    prices: Prices
    role: str = "east"  # "east" near demand, "west" cheap green power
    backend: str = "local"
    emulated: bool = False  # accelerators declared in the file but absent on the host
    health: Health = Health.HEALTHY
    elastic: bool = False  # pools grow on demand (a cloud region): `count` nodes are listed

    @property
    def capacity(self) -> Resources:
        return Resources.total(p.shape.scaled(p.count) for p in self.pools)

    @property
    def node_count(self) -> int:
        return sum(p.count for p in self.pools)

    def node_shapes(self) -> list[Resources]:
        """One shape per node, pools in order (the node index used in placements)."""
        return [p.shape for p in self.pools for _ in range(p.count)]

    def accelerator_types(self) -> set[str]:
        return {k for p in self.pools for k in p.shape.accelerators}

    def in_regions(self, regions: tuple[str, ...]) -> bool:
        """Empty `regions` allows any; otherwise the center's hub, region or role must be named."""
        if not regions:
            return True
        allowed = {r.lower() for r in regions}
        return bool(allowed & {self.hub.lower(), self.region.lower(), self.role.lower()})
