"""The accelerator catalogue: what each device type does, in a unit common to all of them.

Prices per hour mean little across a T4, an A100 and an Ascend 910B; price per unit of work does.
Each `Accelerator` carries its dense FP16/BF16 (no sparsity), FP32 and FP64 TFLOPS, its memory and
its board power, with the source of the figures. The built-in figures live in
`c2net/data/accelerators.yaml`; `Catalogue.extended(mapping)` adds or replaces entries from a
file of the same shape.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources as pkg_resources
from typing import Any

import yaml

from c2net.model.resources import canonical_accelerator

__all__ = ["Accelerator", "Catalogue", "builtin_catalogue"]


@dataclass(frozen=True)
class Accelerator:
    """One device type. TFLOPS are per device; None where the vendor publishes no figure."""

    name: str
    vendor: str
    memory_gb: float
    fp16_tflops: float | None  # dense FP16/BF16 tensor, no sparsity
    fp32_tflops: float | None  # vector FP32 (not TF32)
    fp64_tflops: float | None  # vector FP64
    tdp_w: float
    source: str
    form: str = ""
    reported: bool = False  # True: figures from public reporting, no vendor datasheet


def _figure(entry: Mapping[str, Any], key: str, where: str) -> float | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{where}.{key}: expected a number or null, got {value!r}")
    if value <= 0:
        raise ValueError(f"{where}.{key}: must be > 0, got {value!r}")
    return float(value)


def _parse(entry: object, index: int) -> Accelerator:
    where = f"accelerators[{index}]"
    if not isinstance(entry, Mapping):
        raise ValueError(f"{where}: expected a mapping with name, vendor, ... source")
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{where}.name: required")
    where = f"accelerator {name}"
    memory = _figure(entry, "memory_gb", where)
    tdp = _figure(entry, "tdp_w", where)
    source = entry.get("source")
    if memory is None or tdp is None or not isinstance(source, str) or not source:
        raise ValueError(f"{where}: memory_gb, tdp_w and source are required")
    return Accelerator(
        name=canonical_accelerator(str(name)),
        vendor=str(entry.get("vendor", "")),
        memory_gb=memory,
        fp16_tflops=_figure(entry, "fp16_tflops", where),
        fp32_tflops=_figure(entry, "fp32_tflops", where),
        fp64_tflops=_figure(entry, "fp64_tflops", where),
        tdp_w=tdp,
        source=source,
        form=str(entry.get("form", "")),
        reported=bool(entry.get("reported", False)),
    )


@dataclass(frozen=True)
class Catalogue:
    """Accelerators by canonical name."""

    by_name: Mapping[str, Accelerator]

    @classmethod
    def from_mapping(cls, data: object) -> Catalogue:
        """Build from the file form `{accelerators: [{name, vendor, ...}, ...]}`."""
        items = data.get("accelerators") if isinstance(data, Mapping) else None
        if not isinstance(items, list):
            raise ValueError("an accelerator file lists `accelerators:` entries")
        parsed = [_parse(entry, i) for i, entry in enumerate(items)]
        return cls({a.name: a for a in parsed})

    def extended(self, data: object) -> Catalogue:
        """This catalogue with the entries of `data` added (same name: replaced)."""
        return Catalogue({**self.by_name, **Catalogue.from_mapping(data).by_name})

    def get(self, name: str) -> Accelerator | None:
        return self.by_name.get(name)

    def __iter__(self) -> Iterator[Accelerator]:
        return iter(self.by_name.values())

    def __len__(self) -> int:
        return len(self.by_name)

    def fp16(self, name: str) -> float | None:
        """Dense FP16/BF16 TFLOPS of one device of type `name`, None if unknown."""
        acc = self.by_name.get(name)
        return acc.fp16_tflops if acc else None

    def power_w(self, name: str) -> float | None:
        acc = self.by_name.get(name)
        return acc.tdp_w if acc else None


@cache
def builtin_catalogue() -> Catalogue:
    """The catalogue shipped in c2net/data/accelerators.yaml (read once)."""
    text = (pkg_resources.files("c2net") / "data" / "accelerators.yaml").read_text()
    return Catalogue.from_mapping(yaml.safe_load(text))
