"""Resource vectors: cpus, memory in GB and accelerators counted by type."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = ["KNOWN_ACCELERATORS", "Resources", "canonical_accelerator", "parse_accelerators"]

# Spellings of accelerator types the network knows (the names of c2net/data/accelerators.yaml, the
# accelerator catalogue; a test keeps the two equal); lookups are case-insensitive and the
# canonical spelling is kept. Types outside this list are accepted as written (upper-cased),
# so a center may offer hardware the catalogue does not know yet.
KNOWN_ACCELERATORS: tuple[str, ...] = (
    "T4",
    "P100",
    "V100",
    "A10",
    "A30",
    "A100",
    "A100-80GB",
    "A800",
    "H100",
    "H800",
    "H20",
    "H200",
    "L4",
    "L20",
    "L40S",
    "RTX4090",
    "910B",
    "MLU370",
)
_BY_UPPER = {name.upper(): name for name in KNOWN_ACCELERATORS}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_ITEM = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9_.-]*)\s*(?::\s*([0-9]+))?\s*$")


def canonical_accelerator(name: str) -> str:
    """The canonical spelling of an accelerator type name (raises ValueError if malformed)."""
    name = name.strip()
    if not _NAME.match(name):
        raise ValueError(f"{name!r} is not an accelerator name (letters, digits, '-', '_', '.')")
    return _BY_UPPER.get(name.upper(), name.upper())


def parse_accelerators(value: object) -> dict[str, int]:
    """Parse `A100:1`, `A100` (one device), `{A100: 1}` or None into {type: count}."""
    if value is None:
        return {}
    if isinstance(value, str):
        items: list[tuple[str, object]] = []
        for part in value.split(","):
            m = _ITEM.match(part)
            if not m:
                raise ValueError(f"{value!r} is not TYPE or TYPE:COUNT (for example A100:1)")
            items.append((m.group(1), int(m.group(2)) if m.group(2) is not None else 1))
    elif isinstance(value, Mapping):
        items = [(str(k), v) for k, v in value.items()]
    else:
        raise ValueError(f"expected TYPE:COUNT or a mapping {{TYPE: COUNT}}, got {value!r}")
    result: dict[str, int] = {}
    for name, count in items:
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"count for {name} must be a whole number >= 1, got {count!r}")
        key = canonical_accelerator(name)
        result[key] = result.get(key, 0) + count
    return result


@dataclass(frozen=True)
class Resources:
    """An amount of compute: cpus, memory (GB) and accelerators by type."""

    cpus: float = 0.0
    memory_gb: float = 0.0
    accelerators: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        clean = {k: int(v) for k, v in self.accelerators.items() if v}
        object.__setattr__(self, "accelerators", clean)

    def __add__(self, other: Resources) -> Resources:
        acc = dict(self.accelerators)
        for k, v in other.accelerators.items():
            acc[k] = acc.get(k, 0) + v
        return Resources(self.cpus + other.cpus, self.memory_gb + other.memory_gb, acc)

    def __sub__(self, other: Resources) -> Resources:
        acc = dict(self.accelerators)
        for k, v in other.accelerators.items():
            acc[k] = acc.get(k, 0) - v
        return Resources(self.cpus - other.cpus, self.memory_gb - other.memory_gb, acc)

    def scaled(self, n: int) -> Resources:
        return Resources(
            self.cpus * n, self.memory_gb * n, {k: v * n for k, v in self.accelerators.items()}
        )

    def fits_in(self, room: Resources) -> bool:
        """True when every component of self is at most the matching one of room."""
        eps = 1e-9
        if self.cpus > room.cpus + eps or self.memory_gb > room.memory_gb + eps:
            return False
        return all(room.accelerators.get(k, 0) >= v for k, v in self.accelerators.items())

    @staticmethod
    def total(items: Iterable[Resources]) -> Resources:
        out = Resources()
        for r in items:
            out = out + r
        return out

    def describe(self) -> str:
        """A short human form: '4 cpus, 16 GB, A100:1'."""
        parts = [f"{self.cpus:g} cpus", f"{self.memory_gb:g} GB"]
        parts += [f"{k}:{v}" for k, v in sorted(self.accelerators.items())]
        return ", ".join(parts)

    def to_dict(self) -> dict[str, object]:
        return {
            "cpus": self.cpus,
            "memory_gb": self.memory_gb,
            "accelerators": dict(sorted(self.accelerators.items())),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Resources:
        acc = data.get("accelerators") or {}
        if not isinstance(acc, Mapping):
            raise ValueError("accelerators must be a mapping")
        return cls(
            float(data.get("cpus", 0) or 0),  # type: ignore[arg-type]
            float(data.get("memory_gb", 0) or 0),  # type: ignore[arg-type]
            {str(k): int(v) for k, v in acc.items()},
        )
