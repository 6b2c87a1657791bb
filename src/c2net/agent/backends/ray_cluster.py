"""A Ray cluster's resources as c2net sees them: nodes, accelerator types, node pools, free room.

Pure functions over the Ray dashboard's JSON (no I/O), so they are tested without Ray:

- `GET /api/v0/nodes` (the state API): each node's `resources_total`, names as Ray spells them;
- `GET /api/cluster_status`: `loadMetricsReport.usageByNode` maps each node id to
  `{resource: [used, total]}`. The dashboard camel-cases keys in that reply (so
  `accelerator_type:A100` arrives as `acceleratorType:A100`), and the autoscaler monitor refreshes
  it every few seconds, so free room lags the cluster by that much.

Accelerators are counted from custom resources named like an accelerator type (`A100`, `910B`;
see `KNOWN_ACCELERATORS`, plus names the center file adds), or else from Ray's `GPU` resource,
typed by the `accelerator_type:X` resource Ray sets on nodes whose GPUs it detected.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from c2net.model import NodePool, Resources, canonical_accelerator
from c2net.model.resources import KNOWN_ACCELERATORS

__all__ = [
    "ACCELERATOR_TYPE_PREFIX",
    "RayNode",
    "accelerator_names",
    "free_per_node",
    "node_pools",
    "node_resources",
    "parse_nodes",
]

ACCELERATOR_TYPE_PREFIX = "accelerator_type:"
_GIB = float(2**30)  # c2net counts memory in GB of 1024**3 bytes (see model/spec.py)
_KNOWN_UPPER = frozenset(name.upper() for name in KNOWN_ACCELERATORS)


@dataclass(frozen=True)
class RayNode:
    """One alive Ray node: its id and its resources (Ray's names -> amounts)."""

    node_id: str
    resources: Mapping[str, float]


def parse_nodes(payload: Mapping[str, Any]) -> list[RayNode]:
    """The alive nodes in a `GET /api/v0/nodes` reply."""
    try:
        rows = payload["data"]["result"]["result"]
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not a Ray node list: missing {exc}") from exc
    nodes = []
    for row in rows:
        if row.get("state") != "ALIVE":
            continue
        totals = row.get("resources_total") or {}
        nodes.append(RayNode(str(row["node_id"]), {str(k): float(v) for k, v in totals.items()}))
    return nodes


def accelerator_names(resources: Iterable[str], extra: Iterable[str] = ()) -> dict[str, str]:
    """{canonical accelerator type: Ray resource name} for custom resources naming a type."""
    wanted = _KNOWN_UPPER | {name.upper() for name in extra}
    return {canonical_accelerator(name): name for name in resources if name.upper() in wanted}


def _gpu_type(resources: Mapping[str, float]) -> str:
    for name, amount in resources.items():
        if name.startswith(ACCELERATOR_TYPE_PREFIX) and amount > 0:
            return canonical_accelerator(name[len(ACCELERATOR_TYPE_PREFIX) :])
    return "GPU"


def node_resources(resources: Mapping[str, float], extra: Iterable[str] = ()) -> Resources:
    """c2net's view of one node's resources (totals, or what is free)."""
    accelerators = {
        kind: math.floor(resources[name] + 1e-9)
        for kind, name in accelerator_names(resources, extra).items()
    }
    gpus = math.floor(resources.get("GPU", 0.0) + 1e-9)
    if gpus and not any(accelerators.values()):
        accelerators[_gpu_type(resources)] = gpus
    return Resources(resources.get("CPU", 0.0), resources.get("memory", 0.0) / _GIB, accelerators)


def _pool_name(shape: Resources) -> str:
    parts = [f"{kind.lower()}x{n}" for kind, n in sorted(shape.accelerators.items())]
    return "-".join([*parts, f"{shape.cpus:g}cpu", f"{shape.memory_gb:g}gb"])


def node_pools(nodes: Sequence[RayNode], extra: Iterable[str] = ()) -> list[NodePool]:
    """Nodes grouped by shape into pools. Memory is rounded down to whole GB so that nodes of
    one type, whose Ray `memory` differs by a few MB, share a pool. Nodes with no CPU or memory
    to offer (a head started with --num-cpus=0) are left out: no entrypoint can run there."""
    extra = tuple(extra)
    counts: dict[tuple[float, float, tuple[tuple[str, int], ...]], int] = {}
    for node in nodes:
        shape = node_resources(node.resources, extra)
        memory = float(math.floor(shape.memory_gb)) if shape.memory_gb >= 1 else shape.memory_gb
        if shape.cpus <= 0 or memory <= 0:
            continue
        key = (shape.cpus, memory, tuple(sorted(shape.accelerators.items())))
        counts[key] = counts.get(key, 0) + 1
    shapes = [(Resources(c, m, dict(acc)), n) for (c, m, acc), n in counts.items()]
    pools = [NodePool(_pool_name(shape), n, shape) for shape, n in shapes]
    return sorted(pools, key=lambda pool: pool.name)


def _camel(name: str) -> str:
    """The dashboard's key conversion (ray.dashboard.utils.to_camel_case)."""
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def _usage_by_node(payload: Mapping[str, Any]) -> Mapping[str, Mapping[str, Sequence[float]]]:
    try:
        report = payload["data"]["clusterStatus"]["loadMetricsReport"]
        usage: Mapping[str, Mapping[str, Sequence[float]]] = report["usageByNode"]
    except (KeyError, TypeError) as exc:
        raise ValueError("Ray has not reported resource usage yet (no usageByNode)") from exc
    return usage or {}


def free_per_node(
    nodes: Sequence[RayNode], status_payload: Mapping[str, Any], extra: Iterable[str] = ()
) -> list[Resources]:
    """What is free on each node now: totals minus what Ray reports in use, whoever uses it.
    A node missing from the usage report (it joined since the last refresh) counts as idle."""
    extra = tuple(extra)
    usage = _usage_by_node(status_payload)
    free = []
    for node in nodes:
        used = usage.get(node.node_id, {})
        left = {}
        for name, total in node.resources.items():
            pair = used.get(name) or used.get(_camel(name))
            left[name] = max(total - float(pair[0]), 0.0) if pair else total
        free.append(node_resources(left, extra))
    return free
