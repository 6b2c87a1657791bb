"""Synthetic national-scale scenarios: `centers` centers over the hubs of the network matrix
and `jobs` jobs, all drawn from one seed, for runs no real trace is large enough for.

Centers: the hubs in turn (so every hub has centers, its role, carbon and PUE from the
matrix); each sells one GPU type (A10 40%, T4/V100/A100 20% each) on 4-16 nodes of 8 GPUs,
96 cpus, 768 GB, plus 2 CPU nodes of 64 cpus, 256 GB. Prices are the national scenario's
mainland medians per GPU type (CNY/h: T4 11.01, V100 25.03, A10 7.36, A100 31.03; cpu 0.15,
memory 0.02 per GB), x 0.85 in western hubs, x a uniform 0.9-1.1 per center.

Jobs: `cpu_share` ask for CPUs only (1-16 cpus, 4 GB each); the rest for 1, 2, 4 or 8 GPUs
(weights 4:2:1:1) with 8 cpus and 64 GB per GPU, of a type drawn in proportion to the network's
GPUs of each type. Durations are lognormal (sigma 1) with mean `mean_hours`, clipped to
1 minute..48 hours. Submit times are uniform over a span chosen so that the GPU jobs' device-hours
are `load` x the network's GPUs x the span (the offered load); tenants Zipf(1) over `tenants`,
home hubs weighted towards the east as in the national scenario.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from c2net.model import Center, NodePool, Prices, Resources
from c2net.scheduler import Network
from c2net.sim.topology import Site
from c2net.sim.traces import Arrival

__all__ = ["SyntheticSpec", "synthetic_arrivals", "synthetic_centers", "synthetic_spec"]

GPU_PRICES = {"A10": 7.36, "T4": 11.01, "V100": 25.03, "A100": 31.03}
_TYPE_WEIGHTS = {"A10": 0.4, "T4": 0.2, "V100": 0.2, "A100": 0.2}
_GPU_NODE = (96.0, 768.0, 8)  # cpus, GB, GPUs
_CPU_NODE = Resources(64, 256)
_WEST_FACTOR = 0.85
_GPU_COUNTS = np.array([1, 2, 4, 8])
_GPU_COUNT_WEIGHTS = np.array([4, 2, 1, 1]) / 8
_HOME_EAST, _HOME_WEST = 3.0, 0.5  # home weights per hub role (users sit in the east)


@dataclass(frozen=True)
class SyntheticSpec:
    jobs: int
    centers: int
    seed: int = 0
    load: float = 0.7  # offered GPU-hours / (network GPUs x arrival span)
    mean_hours: float = 1.0
    cpu_share: float = 0.2
    tenants: int = 100
    min_nodes: int = 4  # GPU nodes per center, uniform in [min_nodes, max_nodes]
    max_nodes: int = 16

    def __post_init__(self) -> None:
        if self.jobs < 1 or self.centers < 1:
            raise ValueError("synthetic: jobs and centers must be >= 1")
        if not self.load > 0 or not 0 <= self.cpu_share < 1 or self.mean_hours <= 0:
            raise ValueError("synthetic: load > 0, 0 <= cpu_share < 1, mean_hours > 0")
        if not 1 <= self.min_nodes <= self.max_nodes or self.tenants < 1:
            raise ValueError("synthetic: 1 <= min_nodes <= max_nodes, tenants >= 1")


def synthetic_spec(data: Mapping[str, Any]) -> SyntheticSpec:
    """The scenario's `synthetic:` mapping (unknown keys are an error)."""
    known = {f.name: f.type for f in fields(SyntheticSpec)}
    unknown = set(data) - set(known)
    if unknown:
        raise ValueError(f"synthetic: unknown keys {sorted(unknown)} (known: {sorted(known)})")
    floats = {"load", "mean_hours", "cpu_share"}
    args = {k: float(v) if k in floats else int(v) for k, v in data.items()}
    return SyntheticSpec(**args)  # type: ignore[arg-type]


def _hubs(network: Network) -> list[str]:
    hubs = sorted(set(network.roles) | set(network.carbon_g_per_kwh))
    return hubs or ["hub-east", "hub-west"]


def synthetic_centers(
    spec: SyntheticSpec, network: Network
) -> tuple[tuple[Center, ...], dict[str, Site]]:
    """`spec.centers` centers, the hubs in turn, seeded by `spec.seed`."""
    rng = np.random.default_rng([spec.seed, 1])
    hubs = _hubs(network)
    types = list(_TYPE_WEIGHTS)
    kinds = rng.choice(len(types), spec.centers, p=list(_TYPE_WEIGHTS.values()))
    counts = rng.integers(spec.min_nodes, spec.max_nodes + 1, spec.centers)
    jitter = rng.uniform(0.9, 1.1, spec.centers)
    cpus, memory, per_node = _GPU_NODE
    centers = []
    for i in range(spec.centers):
        hub = hubs[i % len(hubs)]
        role = network.role(hub) or ("west" if hub.endswith("west") else "east")
        factor = float(jitter[i]) * (_WEST_FACTOR if role == "west" else 1.0)
        kind = types[int(kinds[i])]
        pools = (
            NodePool(
                f"{kind.lower()}-8", int(counts[i]), Resources(cpus, memory, {kind: per_node})
            ),
            NodePool("cpu", 2, _CPU_NODE),
        )
        prices = Prices(
            round(0.15 * factor, 4),
            round(0.02 * factor, 4),
            {kind: round(GPU_PRICES[kind] * factor, 2)},
        )
        centers.append(
            Center(f"c{i:04d}", hub, f"{hub}-{i:04d}", pools, prices, role=role, backend="sim")
        )
    return tuple(centers), {c.name: Site() for c in centers}


def _supply(centers: Sequence[Center]) -> tuple[list[str], np.ndarray]:
    gpus: dict[str, float] = {}
    for c in centers:
        for t, n in c.capacity.accelerators.items():
            gpus[t] = gpus.get(t, 0.0) + n
    names = sorted(gpus)
    return names, np.array([gpus[t] for t in names])


def synthetic_arrivals(
    spec: SyntheticSpec, centers: Sequence[Center], network: Network
) -> list[Arrival]:
    """`spec.jobs` arrivals in submit order, seeded by `spec.seed` (their own stream)."""
    rng = np.random.default_rng([spec.seed, 2])
    n = spec.jobs
    sigma = 1.0
    mu = np.log(spec.mean_hours * 3600) - sigma**2 / 2  # lognormal with the given mean
    duration = np.clip(rng.lognormal(mu, sigma, n), 60.0, 48 * 3600.0)
    types, supply = _supply(centers)
    is_gpu = rng.random(n) >= spec.cpu_share if types else np.zeros(n, dtype=bool)
    count = rng.choice(_GPU_COUNTS, n, p=_GPU_COUNT_WEIGHTS)
    kind = rng.choice(len(types), n, p=supply / supply.sum()) if types else np.zeros(n, int)
    cpu_only = rng.integers(1, 17, n)
    gpu_hours = float((duration * count)[is_gpu].sum()) / 3600
    span = gpu_hours / (spec.load * float(supply.sum())) if types else spec.mean_hours * n
    submit = np.sort(rng.uniform(0.0, span * 3600, n))
    ranks = np.arange(1, spec.tenants + 1, dtype=float)
    tenant = rng.choice(spec.tenants, n, p=(1 / ranks) / (1 / ranks).sum())
    hubs = _hubs(network)
    weights = np.array([_HOME_WEST if network.role(h) == "west" else _HOME_EAST for h in hubs])
    home = rng.choice(len(hubs), n, p=weights / weights.sum())
    shapes: dict[tuple[bool, int, int], Resources] = {}
    tenants = [f"tenant-{k:03d}" for k in range(1, spec.tenants + 1)]
    out = []
    rows = zip(
        submit.tolist(),
        duration.tolist(),
        is_gpu.tolist(),
        count.tolist(),
        kind.tolist(),
        cpu_only.tolist(),
        tenant.tolist(),
        home.tolist(),
        strict=True,
    )
    for i, (t, d, gpu, c, k, cpus, who, where) in enumerate(rows):
        key = (True, c, k) if gpu else (False, cpus, 0)
        res = shapes.get(key)
        if res is None:
            res = shapes[key] = (
                Resources(8 * c, 64 * c, {types[k]: c}) if gpu else Resources(cpus, 4 * cpus)
            )
        out.append(Arrival(i, t, d, res, tenants[who], hubs[where]))
    return out
