"""The network between hubs: round-trip times, bandwidth, egress price, carbon and PUE per hub."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources as pkg_resources
from typing import Any

import yaml

__all__ = ["Network", "builtin_network_matrix"]

# Defaults for hubs the matrix does not know (green-algorithms reference data, CC BY 4.0):
# China's average grid intensity (CI_aggregated.csv, CN) and the "Unknown" provider PUE
# (defaults_PUE.csv, Uptime Institute 2024 survey).
DEFAULT_CARBON_G_PER_KWH = 537.4
DEFAULT_PUE = 1.56


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


@dataclass(frozen=True)
class Network:
    """What moving data and reaching users costs between hubs. Empty = nothing known."""

    rtt_ms: Mapping[tuple[str, str], float] = field(default_factory=dict)  # sorted pair keys
    intra_hub_rtt_ms: float = 1.0
    bandwidth_gbps: float = 10.0  # for one transfer between two centers
    egress_per_gb: float = 0.0  # price of moving one GB out of a center
    carbon_g_per_kwh: Mapping[str, float] = field(default_factory=dict)  # by hub
    pue: Mapping[str, float] = field(default_factory=dict)  # by hub, or by center (wins)
    roles: Mapping[str, str] = field(default_factory=dict)  # hub -> east | west

    def rtt(self, a: str, b: str) -> float:
        """Round trip between two hubs in ms; infinite when the matrix does not say."""
        if a == b:
            return self.intra_hub_rtt_ms
        return self.rtt_ms.get(_pair(a, b), math.inf)

    def transfer_hours(self, size_gb: float) -> float:
        """Hours to move `size_gb` between two centers (GB x 8 bits / Gbit/s / 3600)."""
        return size_gb * 8.0 / self.bandwidth_gbps / 3600.0

    def carbon(self, hub: str) -> float:
        return self.carbon_g_per_kwh.get(hub, DEFAULT_CARBON_G_PER_KWH)

    def pue_of(self, center: str, hub: str) -> float:
        return self.pue.get(center, self.pue.get(hub, DEFAULT_PUE))

    def role(self, hub: str) -> str:
        return self.roles.get(hub, "")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Network:
        """The `matrix:` section of a network file (see c2net/data/network-matrix.yaml)."""
        hubs = data.get("hubs") or {}
        rtt: dict[tuple[str, str], float] = {}
        for row in data.get("rtt_ms") or []:
            if not isinstance(row, list | tuple) or len(row) != 3:
                raise ValueError(f"matrix.rtt_ms: expected [hub, hub, ms], got {row!r}")
            a, b, ms = row
            rtt[_pair(str(a), str(b))] = float(ms)
        return cls(
            rtt_ms=rtt,
            intra_hub_rtt_ms=float(data.get("intra_hub_rtt_ms", 1.0)),
            bandwidth_gbps=float(data.get("bandwidth_gbps", 10.0)),
            egress_per_gb=float(data.get("egress_per_gb", 0.0)),
            carbon_g_per_kwh={
                h: float(v["carbon_g_per_kwh"]) for h, v in hubs.items() if "carbon_g_per_kwh" in v
            },
            pue={h: float(v["pue"]) for h, v in hubs.items() if "pue" in v},
            roles={h: str(v["role"]) for h, v in hubs.items() if "role" in v},
        )


@cache
def builtin_network_matrix() -> Network:
    """The eight national hubs (c2net/data/network-matrix.yaml, read once)."""
    text = (pkg_resources.files("c2net") / "data" / "network-matrix.yaml").read_text()
    return Network.from_mapping(yaml.safe_load(text)["matrix"])
