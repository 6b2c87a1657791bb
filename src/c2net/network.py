"""Center and network files: YAML descriptions of centers, and the built-in national network."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources as pkg_resources
from pathlib import Path
from typing import Any

import yaml

from c2net.model import Center, NodePool, Prices, Resources, parse_accelerators

__all__ = [
    "BUILTIN_NETWORK",
    "CENTER_FORM_KEYS",
    "center_to_dict",
    "load_catalogs",
    "load_center",
    "load_network",
    "parse_center",
]

BUILTIN_NETWORK = "builtin"
# what center_to_dict writes (and the store keeps)
CENTER_FORM_KEYS = (
    "name",
    "hub",
    "region",
    "role",
    "backend",
    "emulated",
    "elastic",
    "pools",
    "prices",
)
_CENTER_KEYS = {
    *CENTER_FORM_KEYS,
    "backend_options",
    "tariff",  # time-of-use, spot and surcharge rules (c2net.market.tariff), checked below
    "catalog",  # {source, region, ...}: pools and prices from a cloud price catalogue
}


def _price(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    return None if value is None else float(value)


def _pool(data: Mapping[str, Any], where: str) -> NodePool:
    try:
        shape = Resources(
            float(data["cpus"]), float(data["memory"]), parse_accelerators(data.get("accelerators"))
        )
        return NodePool(
            str(data.get("name", "default")),
            int(data.get("count", 1)),
            shape,
            _price(data, "price"),
            _price(data, "spot_price"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(
            f"{where}: a pool needs count, cpus, memory[, accelerators, price, spot_price] ({exc})"
        ) from exc


def parse_center(data: Mapping[str, Any]) -> Center:
    """Build a Center from its file form; errors name the center and the field."""
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError("center: `name` is required")
    unknown = set(data) - _CENTER_KEYS
    if unknown:
        raise ValueError(f"center {name}: unknown keys {sorted(unknown)}")
    if data.get("tariff") is not None:
        from c2net.market.tariff import parse_tariff  # the market depends on this module

        try:
            parse_tariff(data["tariff"])
        except ValueError as exc:
            raise ValueError(f"center {name}: tariff: {exc}") from exc
    if data.get("catalog") is not None:
        if data.get("pools") or data.get("prices"):
            raise ValueError(f"center {name}: give `catalog` or `pools`/`prices`, not both")
        from c2net.market.clouds import center_from_catalog

        return center_from_catalog(data)
    pools = data.get("pools") or []
    if not pools:
        raise ValueError(f"center {name}: `pools` must list at least one node pool")
    p = data.get("prices") or {}
    prices = Prices(
        cpu_hour=float(p.get("cpu_hour", 0.0)),
        memory_gb_hour=float(p.get("memory_gb_hour", 0.0)),
        accelerator_hour={
            k: float(v) for k, v in parse_price_table(p.get("accelerators") or {}).items()
        },
        currency=str(p.get("currency", "CNY")),
    )
    return Center(
        name=name,
        hub=str(data.get("hub", name)),
        region=str(data.get("region", data.get("hub", name))),
        role=str(data.get("role", "east")),
        backend=str(data.get("backend", "local")),
        emulated=bool(data.get("emulated", False)),
        pools=tuple(_pool(pool, f"center {name} pool {i}") for i, pool in enumerate(pools)),
        prices=prices,
        elastic=bool(data.get("elastic", False)),
    )


def parse_price_table(table: Mapping[str, Any]) -> dict[str, float]:
    from c2net.model import canonical_accelerator

    return {canonical_accelerator(str(k)): float(v) for k, v in table.items()}


def center_to_dict(center: Center) -> dict[str, Any]:
    """The file form of a center (parse_center(center_to_dict(c)) == c, health aside)."""
    return {
        "name": center.name,
        "hub": center.hub,
        "region": center.region,
        "role": center.role,
        "backend": center.backend,
        "emulated": center.emulated,
        "elastic": center.elastic,
        "pools": [
            {
                "name": p.name,
                "count": p.count,
                "cpus": p.shape.cpus,
                "memory": p.shape.memory_gb,
                "accelerators": dict(p.shape.accelerators),
                **({} if p.price is None else {"price": p.price}),
                **({} if p.spot_price is None else {"spot_price": p.spot_price}),
            }
            for p in center.pools
        ],
        "prices": {
            "cpu_hour": center.prices.cpu_hour,
            "memory_gb_hour": center.prices.memory_gb_hour,
            "accelerators": dict(center.prices.accelerator_hour),
            "currency": center.prices.currency,
        },
    }


def load_center(path: str | Path) -> tuple[Center, dict[str, Any]]:
    """A center file: the Center and its raw mapping (backend options live there)."""
    data = yaml.safe_load(Path(path).read_text())
    if not isinstance(data, Mapping):
        raise ValueError(f"{path}: expected a mapping describing one center")
    data = _beside(data, Path(path).parent)
    return parse_center(data), dict(data)


def _beside(data: Mapping[str, Any], directory: Path) -> Mapping[str, Any]:
    """The center with its `catalog.source` read relative to `directory` (where the file naming
    it is) when a catalogue file is there."""
    section = data.get("catalog")
    if isinstance(section, Mapping) and isinstance(section.get("source"), str):
        beside = directory / section["source"]
        if not Path(section["source"]).is_absolute() and beside.is_file():
            return {**data, "catalog": {**section, "source": str(beside)}}
    return data


def load_network(path: str | Path | None = None) -> list[dict[str, Any]]:
    """The centers of a network file (raw mappings), or of the built-in network."""
    data = _document(path)
    centers = data.get("centers") if isinstance(data, Mapping) else None
    if not isinstance(centers, list) or not centers:
        raise ValueError(f"{path or BUILTIN_NETWORK}: a network file lists `centers:`")
    if path is not None and str(path) != BUILTIN_NETWORK:
        centers = [_beside(c, Path(path).parent) if isinstance(c, Mapping) else c for c in centers]
    for c in centers:
        parse_center(c)  # validate early, with the center's name in the message
    return [dict(c) for c in centers]


def load_catalogs(path: str | Path | None = None) -> tuple[list[str], float | None]:
    """The network file's `catalogs:` section, `{names: [gcp, ...], usd_rate: 7.25}`: cloud
    catalogues the gateway quotes beside its centers, and CNY per USD (None: the default)."""
    data = _document(path)
    section = data.get("catalogs") if isinstance(data, Mapping) else None
    if section is None:
        return [], None
    names = section.get("names") if isinstance(section, Mapping) else None
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"{path or BUILTIN_NETWORK}: catalogs.names must list catalogue names")
    rate = section.get("usd_rate")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int | float)):
        raise ValueError(f"{path or BUILTIN_NETWORK}: catalogs.usd_rate must be a number")
    return list(names), None if rate is None else float(rate)


def _document(path: str | Path | None) -> Any:
    """A network file's YAML, or the built-in network's."""
    if path is None or str(path) == BUILTIN_NETWORK:
        text = (pkg_resources.files("c2net") / "data" / "network.yaml").read_text()
    else:
        text = Path(path).read_text()
    return yaml.safe_load(text)
