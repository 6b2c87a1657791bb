"""The simulated network: centers from a scenario, sized from a trace's node list."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from c2net.model import Center, NodePool, Resources
from c2net.network import parse_center
from c2net.sim.traces import TraceNode

__all__ = ["Site", "build_centers", "deal_nodes", "rename_types"]

_SITE_KEYS = ("share", "preemptions_per_hour")


@dataclass(frozen=True)
class Site:
    """What the simulator knows about a center beyond what the scheduler sees."""

    preemptions_per_hour: float = 0.0  # spot: each running attempt is preempted at this rate


def rename_types(res: Resources, models: Mapping[str, str]) -> Resources:
    """Accelerator types renamed through `models` (trace model -> catalogue type)."""
    if not res.accelerators:
        return res
    acc: dict[str, int] = {}
    for name, count in res.accelerators.items():
        key = models.get(name, name)
        acc[key] = acc.get(key, 0) + count
    return Resources(res.cpus, res.memory_gb, acc)


def _largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` into integer parts proportional to weights (ties to the earlier entry)."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    parts = [math.floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def deal_nodes(
    nodes: Sequence[TraceNode], shares: Sequence[float], scale: float, models: Mapping[str, str]
) -> list[list[NodePool]]:
    """Per center, pools of the trace's node shapes: each shape's count x scale, split by share."""
    renamed = [rename_types(n.shape, models) for n in nodes]
    counts = Counter(r.describe() for r in renamed)
    shape_of = {r.describe(): r for r in renamed}
    pools: list[list[NodePool]] = [[] for _ in shares]
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    for k, (key, count) in enumerate(ordered):
        shape = shape_of[key]
        scaled = max(round(count * scale), 1)
        for ci, n in enumerate(_largest_remainder(scaled, shares)):
            if n:
                label = "-".join(sorted(shape.accelerators)).lower() or "cpu"
                pools[ci].append(NodePool(f"{label}-{k}", n, shape))
    return pools


def _site(entry: Mapping[str, Any]) -> Site:
    return Site(preemptions_per_hour=float(entry.get("preemptions_per_hour", 0.0)))


def build_centers(
    entries: Sequence[Mapping[str, Any]],
    nodes: Sequence[TraceNode],
    scale: float,
    models: Mapping[str, str],
) -> tuple[tuple[Center, ...], dict[str, Site]]:
    """Centers in file order; entries without `pools` get the trace's nodes dealt by `share`."""
    dealt_idx = [i for i, e in enumerate(entries) if not e.get("pools")]
    shares = [float(entries[i].get("share", 1.0)) for i in dealt_idx]
    dealt = deal_nodes(nodes, shares, scale, models) if dealt_idx else []
    by_entry = dict(zip(dealt_idx, dealt, strict=True))
    centers: list[Center] = []
    sites: dict[str, Site] = {}
    for i, entry in enumerate(entries):
        data = {k: v for k, v in entry.items() if k not in _SITE_KEYS}
        if i in by_entry:
            if not by_entry[i]:
                raise ValueError(f"center {entry.get('name')}: its share got no nodes")
            data["pools"] = [{"count": 1, "cpus": 1, "memory": 1}]  # replaced below
            center = parse_center(data)
            center = Center(
                center.name,
                center.hub,
                center.region,
                tuple(by_entry[i]),
                center.prices,
                role=center.role,
                backend="sim",
            )
        else:
            center = parse_center(data)
        centers.append(center)
        sites[center.name] = _site(entry)
    return tuple(centers), sites
