"""Clouds beside the network's own centers: catalogue offers ranked for a spec, and catalogues
turned into centers.

`rank_offers` ranks every offer of one or more catalogues (c2net.market.catalog) for a spec,
with no gateway running (`c2net quote --catalog FILE ...`); `region_center` turns one region of
a catalogue into a center (one pool per instance type, priced per whole node; on-demand capacity
unlimited unless stated), the center a provider's agent registers (a center file's `catalog:`),
and `catalog_centers` does it for every region.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from c2net.market.catalog import (
    BUILTIN_CATALOGS,
    CloudOffer,
    OfferTable,
    builtin_catalog,
    read_catalog,
)
from c2net.model import Center, JobSpec, NodePool, Prices, Resources
from c2net.model.accelerators import Catalogue, builtin_catalogue
from c2net.scheduler.classes import options_for

__all__ = [
    "USD_RATE",
    "CatalogQuote",
    "CloudMarket",
    "catalog_centers",
    "center_from_catalog",
    "load_clouds",
    "load_table",
    "load_tables",
    "rank_offers",
    "region_center",
]

# CNY per USD for catalogue prices (USD): the rate the Chinese-cloud samples were converted at
# (c2net/data/catalogs/SOURCE.txt: 0.138 USD/CNY)
USD_RATE = round(1 / 0.138, 4)


@dataclass(frozen=True)
class CatalogQuote:
    """Offers that can run the spec, cheapest estimated cost first."""

    table: OfferTable
    index: np.ndarray  # matching rows, ranked
    price_per_hour: np.ndarray  # per matching row, ranked
    hours: np.ndarray
    cost: np.ndarray
    message: str  # why nothing matches ("" when something does)

    def __len__(self) -> int:
        return len(self.index)

    def top(self, n: int | None = None) -> list[CloudOffer]:
        out = []
        for rank, i in enumerate(self.index[:n].tolist()):
            base = self.table.offer(i)
            out.append(
                CloudOffer(
                    **{
                        **base.__dict__,
                        "price_per_hour": float(self.price_per_hour[rank]),
                        "estimated_hours": float(self.hours[rank]),
                        "estimated_cost": float(self.cost[rank]),
                    }
                )
            )
        return out


def rank_offers(
    table: OfferTable, spec: JobSpec, catalogue: Catalogue | None = None
) -> CatalogQuote:
    """Every offer that can run `spec` (each of its nodes on one instance), ranked by estimated
    cost = instance price x nodes x the runtime estimated on that accelerator; spot prices when
    the spec asks for spot. Regions filter by region name; max_price applies per hour."""
    options = options_for(spec, catalogue or builtin_catalogue())
    price = table.spot_price if spec.spot else table.price
    fits = (table.vcpus >= spec.resources.cpus - 1e-9) & (
        table.memory_gb >= spec.resources.memory_gb - 1e-9
    )
    fits &= ~np.isnan(price)
    if spec.regions:
        wanted = {r.lower() for r in spec.regions}
        fits &= np.array([str(r).lower() in wanted for r in table.region], dtype=bool)
    hours = np.full(len(table), np.nan)
    for o in options:
        if o.accelerator is None:
            match = fits & (table.count == 0)
        else:
            match = fits & (table.accelerator == o.accelerator) & (table.count >= o.count)
        better = match & ~(hours <= o.hours)
        hours[better] = o.hours
    hourly = price * spec.num_nodes
    ok = ~np.isnan(hours)
    if spec.max_price is not None:
        ok &= hourly <= spec.max_price + 1e-9
    index = np.flatnonzero(ok)
    cost = hourly[index] * hours[index]
    order = np.lexsort((price[index], cost))
    index = index[order]
    message = "" if len(index) else _why_none(spec)
    return CatalogQuote(table, index, hourly[index], hours[index], cost[order], message)


def _why_none(spec: JobSpec) -> str:
    wanted = " or ".join(f"{t}:{n}" for t, n in spec.options()) or "no accelerator"
    if spec.compute_fp16_tflops is not None:
        wanted = f"devices for {spec.compute_fp16_tflops:g} FP16 TFLOPS"
    if spec.regions:
        return f"no catalogued offer for {wanted} in regions {list(spec.regions)}"
    if spec.max_price is not None:
        return f"no catalogued offer for {wanted} at or below max_price {spec.max_price:.2f}/h"
    res = spec.resources
    return f"no catalogued offer has {wanted} with {res.cpus:g} cpus and {res.memory_gb:g} GB"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "region"


def region_center(
    table: OfferTable,
    region: str,
    *,
    name: str | None = None,
    rate: float = 1.0,
    currency: str = "USD",
    nodes: int | None = None,
) -> Center:
    """One region of a catalogue as a center: one node pool per instance type, priced per whole
    node (catalogue price x `rate`, e.g. USD_RATE for USD -> CNY). Capacity is unlimited
    (elastic) unless `nodes` states how many of each instance type there are."""
    rows = [i for i, r in enumerate(table.region.tolist()) if r == region]
    if not rows:
        known = sorted(set(table.region.tolist()))
        shown = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
        raise ValueError(f"no offers in region {region!r} (the catalogue has: {shown})")
    if nodes is not None and nodes < 1:
        raise ValueError(f"nodes must be >= 1 (or absent: unlimited), got {nodes}")
    pools = []
    for i in rows:
        offer = table.offer(i)
        if offer.vcpus <= 0 or offer.memory_gb <= 0 or (offer.count and not offer.accelerator):
            continue  # a VM with devices of no readable name is not sold as a CPU machine
        acc = {offer.accelerator: offer.count} if offer.count else {}
        spot = None if offer.spot_price is None else offer.spot_price * rate
        shape = Resources(offer.vcpus, offer.memory_gb, acc)
        pools.append(NodePool(offer.instance_type, nodes or 1, shape, offer.price * rate, spot))
    if not pools:
        raise ValueError(f"region {region!r}: no offer has both vCPUs and memory listed")
    cloud = str(table.cloud[rows[0]])
    return Center(
        name=name or f"{cloud}-{_slug(region)}",
        hub=region,
        region=region,
        pools=tuple(pools),
        prices=Prices(0.0, 0.0, {}, currency),
        role="cloud",
        backend=cloud,
        elastic=nodes is None,
    )


def catalog_centers(table: OfferTable, rate: float = 1.0, currency: str = "USD") -> list[Center]:
    """Every (cloud, region) of a catalogue as a center (region_center), network order as
    the catalogue lists them."""
    out = []
    for cloud in dict.fromkeys(table.cloud.tolist()):
        part = table.take(np.flatnonzero(table.cloud == cloud))  # regions are named per cloud
        for region in dict.fromkeys(part.region.tolist()):
            try:
                out.append(region_center(part, region, rate=rate, currency=currency))
            except ValueError:
                continue  # a region without a usable offer
    return out


def load_table(source: str) -> OfferTable:
    """A built-in catalogue by name (gcp, azure, lambda, vast, alicloud, tencentcloud) or a
    catalogue file; ValueError/OSError say why it could not be read."""
    return builtin_catalog(source) if source in BUILTIN_CATALOGS else read_catalog(source)


def load_tables(sources: Sequence[str]) -> OfferTable:
    """Several catalogues (load_table each) as one table."""
    return OfferTable.concat(load_table(s) for s in sources)


_CATALOG_KEYS = {"source", "region", "usd_rate", "nodes", "currency"}


def center_from_catalog(data: Mapping[str, Any]) -> Center:
    """A center file whose `catalog: {source, region[, usd_rate, nodes, currency]}` stands for
    its pools and prices: the region's offers, converted at `usd_rate` network currency per USD
    (default USD_RATE, currency CNY). The file's own name, hub, region and role win."""
    section = data["catalog"]
    where = f"center {data.get('name') or '?'}: catalog"
    if not isinstance(section, Mapping):
        raise ValueError(f"{where}: expected a mapping {{source, region[, usd_rate, nodes]}}")
    unknown = set(section) - _CATALOG_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    source, region = section.get("source"), section.get("region")
    if not isinstance(source, str) or not isinstance(region, str) or not source or not region:
        raise ValueError(f"{where}: `source` (a catalogue name or file) and `region` are required")
    rate, nodes = section.get("usd_rate", USD_RATE), section.get("nodes")
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 < rate < 1e6:
        raise ValueError(f"{where}: usd_rate must be a positive number, got {rate!r}")
    if nodes is not None and (isinstance(nodes, bool) or not isinstance(nodes, int)):
        raise ValueError(f"{where}: nodes must be a whole number, got {nodes!r}")
    currency = str(section.get("currency", "CNY"))
    try:
        table = load_table(source)
        made = region_center(
            table, region, name=data.get("name"), rate=float(rate), currency=currency, nodes=nodes
        )
    except (OSError, ValueError) as exc:
        raise ValueError(f"{where}: {exc}") from exc
    return replace(
        made,
        hub=str(data.get("hub", made.hub)),
        region=str(data.get("region", made.region)),
        role=str(data.get("role", made.role)),
        backend=str(data.get("backend", "local")),
        emulated=bool(data.get("emulated", False)),
    )


@dataclass(frozen=True)
class CloudMarket:
    """Catalogue offers a gateway quotes beside its own centers, converted to the network's
    currency (`rate`: network currency per catalogue USD). They are list prices to compare: the
    network places work only on centers that joined it (a cloud region joins like any center)."""

    table: OfferTable
    rate: float = 1.0
    currency: str = "CNY"

    def top(self, spec: JobSpec, n: int = 5) -> list[CloudOffer]:
        """The `n` cheapest offers for `spec`, prices in the network's currency."""
        out = []
        for o in rank_offers(self.table, spec).top(n):
            spot = None if o.spot_price is None else o.spot_price * self.rate
            out.append(
                replace(
                    o,
                    price=o.price * self.rate,
                    spot_price=spot,
                    price_per_hour=o.price_per_hour * self.rate,
                    estimated_cost=o.estimated_cost * self.rate,
                )
            )
        return out


def load_clouds(names: Sequence[str], rate: float, currency: str = "CNY") -> CloudMarket:
    """Built-in catalogues by name (gcp, azure, lambda, vast, alicloud, tencentcloud) or
    catalogue files, as one market; ValueError/OSError say which one could not be read."""
    return CloudMarket(load_tables(names), rate, currency)
