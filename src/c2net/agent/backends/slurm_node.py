"""Slurm nodes as `scontrol show -o -d nodes` reports them: shapes, pools and what is free."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from c2net.agent.backends.slurm_parse import parse_gres, parse_memory_mb
from c2net.model import NodePool, Resources, canonical_accelerator

__all__ = ["SlurmNode", "free_per_node", "gres_type_for", "node_pools"]

# A node in any of these states takes no new work (`DOWN*`, `IDLE+DRAIN`, `MIXED+FAIL`, ...).
_UNUSABLE = frozenset(
    {"DOWN", "DRAIN", "DRAINED", "DRAINING", "FAIL", "FAILING", "FUTURE", "INVAL",
     "NOT_RESPONDING", "POWERED_DOWN", "POWER_DOWN", "POWERING_DOWN", "UNKNOWN"}
)  # fmt: skip
_MB_PER_GB = 1024.0  # Slurm's M is a MiB; c2net's GB is taken as GiB on both ways


@dataclass(frozen=True)
class SlurmNode:
    """One node: its configured shape (gpus by the cluster's GRES type) and what is allocated."""

    name: str
    cpus: int
    memory_mb: float
    gpus: Mapping[str, int] = field(default_factory=dict)
    cpus_alloc: int = 0
    memory_alloc_mb: float = 0.0
    gpus_used: Mapping[str, int] = field(default_factory=dict)
    state: str = "IDLE"
    partitions: tuple[str, ...] = ()

    @classmethod
    def from_record(cls, record: Mapping[str, str]) -> SlurmNode:
        cpus = record.get("CPUEfctv") or record.get("CPUTot") or "0"
        partitions = record.get("Partitions", "")
        return cls(
            name=record["NodeName"],
            cpus=int(cpus),
            memory_mb=parse_memory_mb(record.get("RealMemory") or "0"),
            gpus=parse_gres(record.get("Gres", "")),
            cpus_alloc=int(record.get("CPUAlloc") or 0),
            memory_alloc_mb=parse_memory_mb(record.get("AllocMem") or "0"),
            gpus_used=parse_gres(record.get("GresUsed", "")),
            state=record.get("State", "UNKNOWN"),
            partitions=tuple(p for p in partitions.split(",") if p and p != "(null)"),
        )

    @property
    def usable(self) -> bool:
        """False when Slurm would not start new work on the node (down, drained, ...)."""
        flags = set(re.split(r"[+]", self.state.rstrip("*~#!%$@^-").upper()))
        return not self.state.endswith("*") and not flags & _UNUSABLE

    def shape(self) -> Resources:
        return Resources(self.cpus, self.memory_mb / _MB_PER_GB, _accelerators(self.gpus))

    def free(self) -> Resources:
        """What a new job could still get on this node now (nothing when it is unusable)."""
        if not self.usable:
            return Resources()
        left = {k: v - self.gpus_used.get(k, 0) for k, v in self.gpus.items()}
        return Resources(
            max(self.cpus - self.cpus_alloc, 0),
            max(self.memory_mb - self.memory_alloc_mb, 0.0) / _MB_PER_GB,
            _accelerators({k: v for k, v in left.items() if v > 0}),
        )


def _accelerators(gpus: Mapping[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for gres_type, count in gpus.items():
        name = canonical_accelerator(gres_type)
        out[name] = out.get(name, 0) + count
    return out


def _pool_label(shape: Resources) -> str:
    return "-".join(f"{k.lower()}x{v}" for k, v in sorted(shape.accelerators.items())) or "cpu"


def _groups(nodes: Iterable[SlurmNode]) -> list[tuple[Resources, list[SlurmNode]]]:
    """Usable nodes grouped by identical shape, in order of first appearance."""
    groups: list[tuple[Resources, list[SlurmNode]]] = []
    for node in nodes:
        if not node.usable:
            continue
        shape = node.shape()
        for known, members in groups:
            if known == shape:
                members.append(node)
                break
        else:
            groups.append((shape, [node]))
    return groups


def node_pools(nodes: Sequence[SlurmNode]) -> list[NodePool]:
    """Identical usable nodes grouped into pools named after their GPUs (`a100x2`, `cpu`)."""
    pools: list[NodePool] = []
    seen: dict[str, int] = {}
    for shape, members in _groups(nodes):
        label = _pool_label(shape)
        seen[label] = seen.get(label, 0) + 1
        name = label if seen[label] == 1 else f"{label}-{seen[label]}"
        pools.append(NodePool(name, len(members), shape))
    return pools


def free_per_node(nodes: Sequence[SlurmNode]) -> list[Resources]:
    """Free resources of each usable node, in the node order of `node_pools` (pool by pool)."""
    return [node.free() for _, members in _groups(nodes) for node in members]


def gres_type_for(nodes: Iterable[SlurmNode], accelerator: str) -> str | None:
    """The cluster's GRES type for a c2net accelerator name (`A100` -> `a100`), if any."""
    wanted = canonical_accelerator(accelerator)
    for node in nodes:
        for gres_type in node.gpus:
            if canonical_accelerator(gres_type) == wanted:
                return gres_type
    return None
