"""Scenarios: YAML files naming the centers, the trace, how missing fields are synthesised,
the policies to compare, the seed and the failures to inject."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources as pkg_resources
from pathlib import Path
from typing import Any

import yaml

from c2net.model import Center, Resources
from c2net.scheduler import Network, builtin_network_matrix
from c2net.sim.synthetic import synthetic_arrivals, synthetic_centers, synthetic_spec
from c2net.sim.topology import Site, build_centers, rename_types
from c2net.sim.traces import (
    ANY_GPU,
    Arrival,
    read_alibaba_nodes,
    read_alibaba_pods,
    read_job_history,
    read_swf,
)

__all__ = [
    "DEFAULT_SCENARIO",
    "Failure",
    "Power",
    "Scenario",
    "builtin_scenarios",
    "estimate_hours",
    "load_scenario",
    "parse_scenario",
    "synthesise",
]

DEFAULT_SCENARIO = "national"
RUNTIME_ESTIMATES = ("exact", "pow2")
_HOUR = 3600.0


@dataclass(frozen=True)
class Failure:
    """A center down from `at` for `duration` seconds: its running attempts are lost."""

    center: str
    at: float
    duration: float


@dataclass(frozen=True)
class Power:
    """Device power for the carbon estimate (watts; memory per GB)."""

    gpu_watts: Mapping[str, float] = field(default_factory=dict)
    default_gpu_watts: float = 200.0
    cpu_watts_per_core: float = 12.0
    memory_watts_per_gb: float = 0.3725

    def watts(self, res: Resources) -> float:
        gpus = sum(
            n * self.gpu_watts.get(t, self.default_gpu_watts) for t, n in res.accelerators.items()
        )
        return gpus + res.cpus * self.cpu_watts_per_core + res.memory_gb * self.memory_watts_per_gb


@dataclass(frozen=True)
class Scenario:
    name: str
    seed: int
    cycle_seconds: float
    centers: tuple[Center, ...]
    sites: Mapping[str, Site]
    arrivals: tuple[Arrival, ...]
    policies: tuple[str, ...]
    failures: tuple[Failure, ...] = ()
    network: Network = field(default_factory=Network)  # rtt, carbon and PUE per hub, roles
    power: Power = field(default_factory=Power)
    max_attempts: int = 5  # a job lost this many times (preempted, center down) fails
    runtime_estimate: str = "exact"  # what the scheduler is told a job runs: see estimate_hours

    def __post_init__(self) -> None:
        if self.runtime_estimate not in RUNTIME_ESTIMATES:
            raise ValueError(
                f"runtime_estimate: {self.runtime_estimate!r} is not one of {RUNTIME_ESTIMATES}"
            )


def estimate_hours(duration: float, how: str) -> float:
    """The runtime the scheduler is told, in hours: `exact` the trace's own duration (a perfect
    estimate); `pow2` rounded up to a power-of-two number of minutes (1, 2, 4, ... minutes), as
    users state time limits in round steps. Jobs whose estimates round alike fall into one class
    of the scheduler, which then ranks centers once for all of them."""
    if how == "pow2":
        return 2.0 ** math.ceil(math.log2(max(duration / 60.0, 1.0)) - 1e-9) / 60.0
    return duration / 3600.0


def _zipf_weights(n: int, skew: float) -> list[float]:
    return [1.0 / (k**skew) for k in range(1, n + 1)]


def synthesise(
    arrivals: Sequence[Arrival],
    rules: Mapping[str, Any],
    models: Mapping[str, str],
    centers: Sequence[Center],
    rng: random.Random,
) -> list[Arrival]:
    """Fill what the trace lacks, seeded: tenant (Zipf over `tenants`), home hub (`home_weights`),
    GPU type for ANY-GPU jobs (drawn in proportion to the network's GPUs of each type); scale
    submit times by `time_scale` (shrinking inter-arrival times raises the offered load)."""
    scale = float(rules.get("time_scale", 1.0))
    tenants = [f"tenant-{k:02d}" for k in range(1, int(rules.get("tenants", 10)) + 1)]
    t_weights = _zipf_weights(len(tenants), float(rules.get("tenant_skew", 1.0)))
    homes: Mapping[str, float] = rules.get("home_weights") or {c.hub: 1.0 for c in centers}
    h_names, h_weights = list(homes), [float(w) for w in homes.values()]
    supply: Counter[str] = Counter()
    for c in centers:
        for t, n in c.capacity.accelerators.items():
            supply[t] += n
    g_names, g_weights = sorted(supply), [float(supply[t]) for t in sorted(supply)]
    out = []
    for a in arrivals:
        res = rename_types(a.resources, models)
        if ANY_GPU in res.accelerators and g_names:
            kind = rng.choices(g_names, g_weights)[0]
            res = Resources(res.cpus, res.memory_gb, {kind: res.accelerators[ANY_GPU]})
        tenant = a.tenant or rng.choices(tenants, t_weights)[0]
        home = a.home or rng.choices(h_names, h_weights)[0]
        out.append(replace(a, submit=a.submit * scale, resources=res, tenant=tenant, home=home))
    return out


def _read_trace(spec: Mapping[str, Any]) -> list[Arrival]:
    fmt, path = str(spec.get("format", "alibaba")), spec["path"]
    limit = spec.get("limit")
    limit = int(limit) if limit is not None else None
    if fmt == "alibaba":
        return read_alibaba_pods(path, limit)
    if fmt == "swf":
        return read_swf(path, float(spec.get("memory_gb_per_cpu", 1.0)), limit)
    if fmt == "c2net-jobs":
        return read_job_history(path, limit)
    raise ValueError(f"trace.format: unknown {fmt!r} (alibaba, swf, c2net-jobs)")


def _failures(items: Sequence[Mapping[str, Any]]) -> tuple[Failure, ...]:
    return tuple(
        Failure(str(f["center"]), float(f["at_hours"]) * _HOUR, float(f["for_hours"]) * _HOUR)
        for f in items
    )


def _power(data: Mapping[str, Any]) -> Power:
    return Power(
        gpu_watts={str(k): float(v) for k, v in (data.get("gpu_watts") or {}).items()},
        default_gpu_watts=float(data.get("default_gpu_watts", 200.0)),
        cpu_watts_per_core=float(data.get("cpu_watts_per_core", 12.0)),
        memory_watts_per_gb=float(data.get("memory_watts_per_gb", 0.3725)),
    )


def _workload(
    data: Mapping[str, Any], base: Path | None, seed: int, network: Network
) -> tuple[tuple[Center, ...], dict[str, Site], list[Arrival]]:
    """Centers, sites and arrivals: from `synthetic:` (generated) or `topology:` + `trace:`."""
    if data.get("synthetic") is not None:
        if data.get("trace") or data.get("topology"):
            raise ValueError("synthetic: generates the centers and jobs; drop trace/topology")
        spec = synthetic_spec({"seed": seed, **data["synthetic"]})
        centers, sites = synthetic_centers(spec, network)
        return centers, sites, synthetic_arrivals(spec, centers, network)
    topo = data.get("topology") or {}
    models = {str(k).upper(): str(v) for k, v in (topo.get("models") or {}).items()}
    nodes_path = topo.get("nodes")
    nodes = read_alibaba_nodes(_resolve(nodes_path, base)) if nodes_path else []
    centers, sites = build_centers(
        topo.get("centers") or [], nodes, float(topo.get("capacity_scale", 1.0)), models
    )
    if not centers:
        raise ValueError("topology.centers: list at least one center")
    trace = dict(data.get("trace") or {})
    trace["path"] = _resolve(trace.get("path"), base)
    rng = random.Random(seed * 7919 + 1)  # its own stream: the engine's draws do not shift it
    arrivals = synthesise(_read_trace(trace), data.get("synthesis") or {}, models, centers, rng)
    arrivals.sort(key=lambda a: (a.submit, a.id))
    return centers, sites, arrivals


def parse_scenario(data: Mapping[str, Any], base: Path | None = None) -> Scenario:
    """A Scenario from its YAML mapping; relative trace paths resolve against `base`."""
    seed = int(data.get("seed", 0))
    network = _network(data.get("matrix"))
    centers, sites, arrivals = _workload(data, base, seed, network)
    names = {c.name for c in centers}
    failures = _failures(data.get("failures") or [])
    for f in failures:
        if f.center not in names:
            raise ValueError(f"failures: unknown center {f.center!r}")
    return Scenario(
        name=str(data.get("name", "scenario")),
        seed=seed,
        cycle_seconds=float(data.get("cycle_seconds", 60.0)),
        centers=centers,
        sites=sites,
        arrivals=tuple(arrivals),
        policies=tuple(str(p) for p in data.get("policies") or ("first-fit", "cheapest")),
        failures=failures,
        network=network,
        power=_power(data.get("power") or {}),
        max_attempts=int(data.get("max_attempts", 5)),
        runtime_estimate=str(data.get("runtime_estimate", "exact")),
    )


def _network(matrix: object) -> Network:
    """The scenario's `matrix:` (the shape of c2net/data/network-matrix.yaml), else the built-in."""
    if matrix is None:
        return builtin_network_matrix()
    if not isinstance(matrix, Mapping):
        raise ValueError("matrix: expected a mapping (see c2net/data/network-matrix.yaml)")
    return Network.from_mapping(matrix)


def _resolve(path: object, base: Path | None) -> str:
    if not isinstance(path, str) or not path:
        raise ValueError("trace.path: required (a file, or builtin:NAME for a shipped trace)")
    if path.startswith("builtin:") or base is None or Path(path).is_absolute():
        return path
    return str(base / path)


def builtin_scenarios() -> list[str]:
    """Names of the scenarios shipped in c2net/data/scenarios (`--scenario NAME`)."""
    folder = pkg_resources.files("c2net") / "data" / "scenarios"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_scenario(path: str | Path | None = None, seed: int | None = None) -> Scenario:
    """A scenario file, or a built-in one by name (default `national`); `seed` overrides the
    file's."""
    name = DEFAULT_SCENARIO if path is None else str(path)
    if name in builtin_scenarios():
        ref = pkg_resources.files("c2net") / "data" / "scenarios" / f"{name}.yaml"
        data, base = yaml.safe_load(ref.read_text()), None
    else:
        data, base = yaml.safe_load(Path(name).read_text()), Path(name).parent
    if not isinstance(data, Mapping):
        raise ValueError(f"{path}: a scenario file is a YAML mapping")
    if seed is not None:
        data = {**data, "seed": seed}
    return parse_scenario(data, base)
