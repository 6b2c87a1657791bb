"""Small builders for simulator tests: scenarios from a few centers and arrivals."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from c2net.model import Center, NodePool, Prices, Resources
from c2net.scheduler import Network
from c2net.sim import Arrival, Failure, Scenario
from c2net.sim.topology import Site

DATA = Path(__file__).resolve().parents[1] / "data" / "traces"


def gpu_center(
    name: str, gpus: int, price: float, *, nodes: int = 1, hub: str = "", role: str = "east"
) -> Center:
    """`nodes` nodes of 32 cpus, 128 GB, `gpus` A10 each; A10 at `price`/h, cpu and memory free."""
    shape = Resources(32, 128, {"A10": gpus})
    return Center(
        name,
        hub or f"hub-{name}",
        f"region-{name}",
        (NodePool("a10", nodes, shape),),
        Prices(0.0, 0.0, {"A10": price}),
        role=role,
    )


def job(i: int, submit: float, hours: float, gpus: int = 1, tenant: str = "t1") -> Arrival:
    return Arrival(i, submit, hours * 3600, Resources(4, 16, {"A10": gpus}), tenant, "hub-x")


def scenario(
    centers: list[Center],
    arrivals: list[Arrival],
    *,
    failures: tuple[Failure, ...] = (),
    preempt: dict[str, float] | None = None,
    cycle: float = 60.0,
    seed: int = 1,
) -> Scenario:
    sites = {c.name: Site((preempt or {}).get(c.name, 0.0)) for c in centers}
    return Scenario(
        name="test",
        seed=seed,
        cycle_seconds=cycle,
        centers=tuple(centers),
        sites=sites,
        arrivals=tuple(arrivals),
        policies=("first-fit", "cost"),
        failures=failures,
        network=Network(),
    )


def national(limit: int, **trace: Any) -> dict[str, Any]:
    """The built-in national scenario's mapping, its trace cut to the first `limit` pods."""
    text = (resources.files("c2net") / "data" / "scenarios" / "national.yaml").read_text()
    data: dict[str, Any] = yaml.safe_load(text)
    data["trace"] = {**data["trace"], "limit": limit, **trace}
    return data
