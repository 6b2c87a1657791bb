"""Clouds as centers: offers from price catalogues in SkyPilot's CSV schema.

A catalogue lists instance types per region (`InstanceType, AcceleratorName, AcceleratorCount,
vCPUs, MemoryGiB, Price, SpotPrice, Region`, USD per instance-hour). Each cloud's conventions are
kept: GCP lists accelerators as rows of their own (no InstanceType), priced apart from the host
VM they attach to, so an offer there is host + accelerators (A100 on a2-highgpu-*, H100 on
a3-highgpu-*, L4 on g2-standard-*, T4/V100/P100/P4 on n1-* hosts, as SkyPilot pairs them), and
the GPU host families are not sold as CPU-only machines; rows that differ only by zone are one
offer per region at the lowest price.

What to do with the offers (rank them for a spec, or turn them into centers) is in
c2net.market.clouds.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from importlib import resources as pkg_resources
from pathlib import Path

import numpy as np

from c2net.model import canonical_accelerator
from c2net.model.resources import KNOWN_ACCELERATORS

__all__ = [
    "BUILTIN_CATALOGS",
    "CloudOffer",
    "OfferTable",
    "builtin_catalog",
    "parse_catalog",
    "read_catalog",
]

BUILTIN_CATALOGS = ("gcp", "azure", "lambda", "vast", "alicloud", "tencentcloud")
_KNOWN = {n.upper() for n in KNOWN_ACCELERATORS}

# GCP: accelerator -> count -> host VM types it must attach to (SkyPilot's gcp_catalog).
_GCP_HOSTS: dict[str, dict[int, tuple[str, ...]]] = {
    "A100": {
        1: ("a2-highgpu-1g",),
        2: ("a2-highgpu-2g",),
        4: ("a2-highgpu-4g",),
        8: ("a2-highgpu-8g",),
        16: ("a2-megagpu-16g",),
    },
    "A100-80GB": {n: (f"a2-ultragpu-{n}g",) for n in (1, 2, 4, 8)},
    "L4": {
        1: tuple(f"g2-standard-{c}" for c in (4, 8, 12, 16, 32)),
        2: ("g2-standard-24",),
        4: ("g2-standard-48",),
        8: ("g2-standard-96",),
    },
    "H100": {n: (f"a3-highgpu-{n}g",) for n in (1, 2, 4, 8)},
    "H100-MEGA": {8: ("a3-megagpu-8g",)},
    "H200": {8: ("a3-ultragpu-8g",)},
    "B200": {8: ("a4-highgpu-8g",)},
}
_GCP_GPU_HOST_FAMILIES = ("a2-", "a3-", "a4-", "g2-")
# Other GCP GPUs attach to n1 hosts: at least this many vCPUs per device count (SkyPilot's
# default), memory >= 4 GB per vCPU, and at most (vCPUs, GB) per count (GCP's documented limits).
_GCP_N1_MIN_CPUS = {1: 8, 2: 16, 4: 32, 8: 64}
_GCP_N1_MIN_CPUS_T4 = {1: 4, 2: 8, 4: 48}
_GCP_N1_MAX: dict[str, dict[int, tuple[float, float]]] = {
    "V100": {1: (12, 78), 2: (24, 156), 4: (48, 312), 8: (96, 624)},
    "T4": {1: (48, 312), 2: (48, 312), 4: (96, 624)},
    "P4": {1: (24, 156), 2: (48, 312), 4: (96, 624)},
    "P100": {1: (16, 104), 2: (32, 208), 4: (96, 624)},
}


@dataclass(frozen=True)
class CloudOffer:
    """One instance type in one region, and what it would cost for a job."""

    cloud: str
    region: str
    instance_type: str  # GCP: host+accelerators, e.g. "n1-standard-8+T4:1"
    accelerator: str  # "" for CPU-only
    count: int
    vcpus: float
    memory_gb: float
    price: float  # USD per instance-hour, on demand
    spot_price: float | None
    price_per_hour: float = math.nan  # for the whole job (every node, spot if asked)
    estimated_hours: float = math.nan  # runtime estimated on this accelerator
    estimated_cost: float = math.nan


@dataclass(frozen=True)
class OfferTable:
    """Offers as columns (one row per instance type and region)."""

    cloud: np.ndarray  # object
    region: np.ndarray  # object
    instance_type: np.ndarray  # object
    accelerator: np.ndarray  # object, canonical names, "" for none
    count: np.ndarray  # int
    vcpus: np.ndarray
    memory_gb: np.ndarray
    price: np.ndarray
    spot_price: np.ndarray  # NaN: no spot

    def __len__(self) -> int:
        return len(self.price)

    @classmethod
    def from_offers(cls, offers: Sequence[CloudOffer]) -> OfferTable:
        def col(name: str, dtype: type) -> np.ndarray:
            return np.asarray(np.array([getattr(o, name) for o in offers], dtype=dtype))

        return cls(
            cloud=col("cloud", object),
            region=col("region", object),
            instance_type=col("instance_type", object),
            accelerator=col("accelerator", object),
            count=col("count", np.int64),
            vcpus=col("vcpus", float),
            memory_gb=col("memory_gb", float),
            price=col("price", float),
            spot_price=np.array(
                [math.nan if o.spot_price is None else o.spot_price for o in offers], dtype=float
            ),
        )

    @classmethod
    def concat(cls, tables: Iterable[OfferTable]) -> OfferTable:
        parts = list(tables)
        return cls(*(np.concatenate([getattr(t, f.name) for t in parts]) for f in fields(cls)))

    def take(self, index: np.ndarray) -> OfferTable:
        """The rows at `index` (an index array or a boolean mask)."""
        return type(self)(*(getattr(self, f.name)[index] for f in fields(self)))

    def offer(self, i: int) -> CloudOffer:
        spot = float(self.spot_price[i])
        return CloudOffer(
            cloud=str(self.cloud[i]),
            region=str(self.region[i]),
            instance_type=str(self.instance_type[i]),
            accelerator=str(self.accelerator[i]),
            count=int(self.count[i]),
            vcpus=float(self.vcpus[i]),
            memory_gb=float(self.memory_gb[i]),
            price=float(self.price[i]),
            spot_price=None if math.isnan(spot) else spot,
        )


def _float(text: str | None) -> float | None:
    try:
        value = float(text) if text not in (None, "") else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


# Words the Chinese clouds' catalogues put around a device's name ("Nvidia Tesla V100",
# "Tencent Zixiao C100"), and their short names: Alibaba lists the H20 of its gn8v family
# (96 GB, the only NVIDIA H-series part with 96 GB) as "H".
_VENDOR_WORDS = {"NVIDIA", "TESLA", "GEFORCE", "TENCENT", "AMD"}
_SHORT_NAMES = {"H": "H20"}
_MEMORY = re.compile(r"^(\d+)GB?$", re.IGNORECASE)


def _canonical(name: str) -> str:
    """The network's name for a catalogue's device: vendor words dropped, a memory suffix
    kept only where it names a distinct type ("A100 80G" is A100-80GB, "A800 40G" is A800)."""
    words = [w for w in re.split(r"[\s_]+", name.strip()) if w and w.upper() not in _VENDOR_WORDS]
    memory = _MEMORY.match(words[-1]) if len(words) > 1 else None
    if memory:
        words = words[:-1]
    base = "".join(words) if "".join(words).upper() in _KNOWN else "-".join(words)  # RTX 4090
    base = _SHORT_NAMES.get(base.upper(), base)
    try:
        if memory and f"{base}-{memory.group(1)}GB".upper() in _KNOWN:
            return canonical_accelerator(f"{base}-{memory.group(1)}GB")
        return canonical_accelerator(base) if base else ""
    except ValueError:
        return ""


@dataclass(frozen=True)
class _Row:
    instance: str
    accelerator: str
    count: int
    vcpus: float
    memory: float
    price: float
    spot: float | None
    region: str


def _rows(records: Iterable[Mapping[str, str]]) -> list[_Row]:
    """Parse and collapse zones: one row per (type, accelerator, count, region), lowest price."""
    best: dict[tuple[str, str, int, str], _Row] = {}
    for r in records:
        price = _float(r.get("Price"))
        region = (r.get("Region") or "").strip()
        if price is None or price <= 0 or not region:
            continue
        acc = (r.get("AcceleratorName") or "").strip()
        if acc.lower().startswith("tpu"):
            continue  # TPU VMs are not node-shaped offers
        count = int(_float(r.get("AcceleratorCount")) or 0) if acc else 0
        spot = _float(r.get("SpotPrice"))
        row = _Row(
            (r.get("InstanceType") or "").strip(),
            _canonical(acc),
            count,
            _float(r.get("vCPUs")) or 0.0,
            _float(r.get("MemoryGiB")) or 0.0,
            price,
            spot if spot is not None and spot > 0 else None,
            region,
        )
        key = (row.instance, row.accelerator, row.count, row.region)
        old = best.get(key)
        if old is None:
            best[key] = row
        else:
            spots = [s for s in (old.spot, row.spot) if s is not None]
            best[key] = _Row(
                *key[:3],
                old.vcpus,
                old.memory,
                min(old.price, row.price),
                min(spots) if spots else None,
                row.region,
            )
    return list(best.values())


def _gcp_offers(rows: list[_Row]) -> list[CloudOffer]:
    hosts: dict[str, dict[str, _Row]] = {}
    for r in rows:
        if r.instance:
            hosts.setdefault(r.region, {})[r.instance] = r
    out = [
        CloudOffer("gcp", r.region, r.instance, "", 0, r.vcpus, r.memory, r.price, r.spot)
        for r in rows
        if r.instance and not r.instance.startswith(_GCP_GPU_HOST_FAMILIES)
    ]
    for acc in (r for r in rows if not r.instance and r.accelerator):
        here = hosts.get(acc.region, {})
        fixed = _GCP_HOSTS.get(acc.accelerator, {})
        if acc.accelerator in _GCP_HOSTS:
            candidates = [here[h] for h in fixed.get(acc.count, ()) if h in here]
        else:
            table = _GCP_N1_MIN_CPUS_T4 if acc.accelerator == "T4" else _GCP_N1_MIN_CPUS
            least = table.get(acc.count, 8 * acc.count)
            most = _GCP_N1_MAX.get(acc.accelerator, {}).get(acc.count, (math.inf, math.inf))
            candidates = [
                h
                for name, h in here.items()
                if name.startswith("n1-")
                and least <= h.vcpus <= most[0]
                and 4 * least <= h.memory <= most[1]
            ]
        for h in candidates:
            spot = None if h.spot is None or acc.spot is None else h.spot + acc.spot
            out.append(
                CloudOffer(
                    "gcp",
                    acc.region,
                    f"{h.instance}+{acc.accelerator}:{acc.count}",
                    acc.accelerator,
                    acc.count,
                    h.vcpus,
                    h.memory,
                    h.price + acc.price,
                    spot,
                )
            )
    return out


def parse_catalog(records: Iterable[Mapping[str, str]], cloud: str) -> OfferTable:
    """Offers from catalogue rows (dicts keyed by the CSV header), by the cloud's conventions."""
    rows = _rows(records)
    if cloud == "gcp":
        offers = _gcp_offers(rows)
    else:
        offers = [
            CloudOffer(
                cloud,
                r.region,
                r.instance,
                r.accelerator,
                r.count,
                r.vcpus,
                r.memory,
                r.price,
                r.spot,
            )
            for r in rows
            if r.instance
        ]
    return OfferTable.from_offers(offers)


def _cloud_of(path: Path) -> str:
    name = path.name.split(".")[0].lower()
    if name == "vms":  # SkyPilot's layout: <cloud>/vms.csv
        name = path.parent.name.lower()
    return re.sub(r"[^a-z0-9]+", "", name) or "cloud"


def read_catalog(path: str | Path, cloud: str | None = None) -> OfferTable:
    """Read a catalogue file (.csv or .csv.gz). The cloud is named by the file (gcp.csv,
    gcp/vms.csv) unless given; it decides the conventions applied (GCP's separate GPU rows)."""
    p = Path(path)
    raw = p.read_bytes()
    text = gzip.decompress(raw).decode() if raw[:2] == b"\x1f\x8b" else raw.decode()
    return parse_catalog(csv.DictReader(io.StringIO(text)), cloud or _cloud_of(p))


def builtin_catalog(name: str) -> OfferTable:
    """A catalogue shipped in c2net/data/catalogs (see its SOURCE.txt): gcp, azure, ..."""
    if name not in BUILTIN_CATALOGS:
        raise ValueError(
            f"unknown built-in catalogue {name!r} (known: {', '.join(BUILTIN_CATALOGS)})"
        )
    folder = pkg_resources.files("c2net") / "data" / "catalogs"
    entry = folder / f"{name}.csv.gz"
    if not entry.is_file():
        entry = folder / f"{name}.csv"
    raw = entry.read_bytes()
    text = gzip.decompress(raw).decode() if raw[:2] == b"\x1f\x8b" else raw.decode()
    return parse_catalog(csv.DictReader(io.StringIO(text)), name)
