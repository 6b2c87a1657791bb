"""Clouds beside the network's own centers: catalogue offers ranked for a spec, and catalogues
turned into centers.

`rank_offers` ranks every offer of one or more catalogues (c2net.market.catalog) for a spec,
with no gateway running (`c2net quote --catalog FILE ...`); `catalog_centers` turns a catalogue
into centers (one per region, on-demand capacity unlimited: elastic pools priced per whole node)
for the scheduler.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from c2net.market.catalog import CloudOffer, OfferTable
from c2net.model import Center, JobSpec, NodePool, Prices, Resources
from c2net.model.accelerators import Catalogue, builtin_catalogue
from c2net.scheduler.classes import options_for
from c2net.scheduler.snapshot import PriceBook

__all__ = ["CatalogQuote", "CloudMarket", "catalog_centers", "load_clouds", "rank_offers"]


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


def catalog_centers(
    table: OfferTable, rate: float = 1.0, currency: str = "USD"
) -> tuple[list[Center], PriceBook]:
    """One center per (cloud, region): one elastic node pool per instance type, priced per whole
    node (prices x `rate`, e.g. 1/0.138 for USD -> CNY). Pass the PriceBook in the Snapshot."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, (cloud, region) in enumerate(
        zip(table.cloud.tolist(), table.region.tolist(), strict=True)
    ):
        groups.setdefault((cloud, region), []).append(i)
    centers: list[Center] = []
    node_prices: dict[str, dict[str, tuple[float, float | None]]] = {}
    for (cloud, region), rows in groups.items():
        name = f"{cloud}-{_slug(region)}"
        pools, priced = [], {}
        for i in rows:
            offer = table.offer(i)
            if offer.vcpus <= 0 or offer.memory_gb <= 0:
                continue
            acc = {offer.accelerator: offer.count} if offer.accelerator and offer.count else {}
            pools.append(
                NodePool(offer.instance_type, 1, Resources(offer.vcpus, offer.memory_gb, acc))
            )
            spot = None if offer.spot_price is None else offer.spot_price * rate
            priced[offer.instance_type] = (offer.price * rate, spot)
        if not pools:
            continue
        centers.append(
            Center(
                name=name,
                hub=region,
                region=region,
                pools=tuple(pools),
                prices=Prices(0.0, 0.0, {}, currency),
                role="cloud",
                backend=cloud,
            )
        )
        node_prices[name] = priced
    book = PriceBook(node_prices=node_prices, elastic=frozenset(node_prices))
    return centers, book


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
    from c2net.market.catalog import BUILTIN_CATALOGS, builtin_catalog, read_catalog

    tables = [builtin_catalog(n) if n in BUILTIN_CATALOGS else read_catalog(n) for n in names]
    return CloudMarket(OfferTable.concat(tables), rate, currency)
