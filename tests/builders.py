"""Small builders for tests: centers, specs, snapshots."""

from __future__ import annotations

from c2net.model import Center, Health, JobSpec, NodePool, Prices, Resources, parse_accelerators


def node(cpus: float = 8, memory: float = 32, acc: str | None = None) -> Resources:
    return Resources(cpus, memory, parse_accelerators(acc))


def center(
    name: str,
    *pools: tuple[int, Resources],
    cpu: float = 0.1,
    mem: float = 0.01,
    acc_prices: dict[str, float] | None = None,
    hub: str | None = None,
    role: str = "east",
    healthy: bool = True,
) -> Center:
    pools = pools or ((2, node()),)
    return Center(
        name=name,
        hub=hub or f"hub-{name}",
        region=f"region-{name}",
        role=role,
        pools=tuple(NodePool(f"p{i}", n, shape) for i, (n, shape) in enumerate(pools)),
        prices=Prices(cpu, mem, acc_prices or {}),
        health=Health.HEALTHY if healthy else Health.UNHEALTHY,
    )


def spec(
    cpus: float = 1,
    memory: float = 1,
    acc: str | None = None,
    *,
    regions: tuple[str, ...] = (),
    max_price: float | None = None,
    runtime: float = 1.0,
    name: str = "job",
    run: str = "true",
) -> JobSpec:
    return JobSpec(
        run=run,
        name=name,
        resources=Resources(cpus, memory, parse_accelerators(acc)),
        regions=regions,
        max_price=max_price,
        runtime_hours=runtime,
    )
