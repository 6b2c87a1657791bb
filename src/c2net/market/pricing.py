"""Prices now: a pool's unit and whole-node prices under its centers' tariffs (time of use,
utilization surcharge, spot discount), and per-second metering at a price fixed when an attempt
was placed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import ROUND_HALF_EVEN, Decimal

from c2net.market.tariff import Tariff
from c2net.model import Center, NodePool, Prices, Resources
from c2net.scheduler.snapshot import Snapshot

__all__ = [
    "CURRENCY_SYMBOLS",
    "attempt_cost",
    "money",
    "priced_snapshot",
    "scaled_pools",
    "scaled_prices",
    "utilization",
]

CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€"}
_MICRO = Decimal("0.000001")


def attempt_cost(price_per_hour: float, wall_seconds: float) -> Decimal:
    """price per hour x wall seconds / 3600, billed per second, kept to a millionth."""
    seconds = Decimal(str(max(wall_seconds, 0.0)))
    return (Decimal(str(price_per_hour)) * seconds / Decimal(3600)).quantize(
        _MICRO, rounding=ROUND_HALF_EVEN
    )


def money(amount: Decimal | float, currency: str = "CNY", places: int = 4) -> str:
    symbol = CURRENCY_SYMBOLS.get(currency, currency + " ")
    return f"{symbol}{float(amount):,.{places}f}"


def utilization(capacity: Resources, free: Resources) -> float:
    """How busy a center is: its busiest resource's share in use (0..1)."""
    parts = []
    if capacity.cpus > 0:
        parts.append(1 - free.cpus / capacity.cpus)
    if capacity.memory_gb > 0:
        parts.append(1 - free.memory_gb / capacity.memory_gb)
    for name, total in capacity.accelerators.items():
        if total > 0:
            parts.append(1 - free.accelerators.get(name, 0) / total)
    return min(max(max(parts, default=0.0), 0.0), 1.0)


def scaled_pools(center: Center, factor: Decimal, spot_factor: Decimal) -> tuple[NodePool, ...]:
    """The center's pools with their whole-node prices x `factor`; a pool without a spot price
    of its own sells spot at its price x `spot_factor` when that is a discount."""
    f, s = float(factor), float(spot_factor)
    out = []
    for pool in center.pools:
        if pool.price is None:
            out.append(pool)
            continue
        spot = pool.spot_price * f if pool.spot_price is not None else None
        if spot is None and s < 1:
            spot = pool.price * f * s
        out.append(replace(pool, price=pool.price * f, spot_price=spot))
    return tuple(out)


def scaled_prices(prices: Prices, factor: Decimal) -> Prices:
    f = float(factor)
    return Prices(
        prices.cpu_hour * f,
        prices.memory_gb_hour * f,
        {k: v * f for k, v in prices.accelerator_hour.items()},
        prices.currency,
    )


def priced_snapshot(snap: Snapshot, tariffs: Mapping[str, Tariff], now: float) -> Snapshot:
    """The snapshot with each center's unit and node prices as they are now: x the time-of-use
    multiplier x the utilization surcharge (none on an elastic center: it is never full); spot
    prices x (1 - the spot discount); the egress price per GB its tariff sets (for ranking data
    moves as the market bills them)."""
    if not tariffs:
        return snap
    new_centers = []
    spot: dict[str, Prices] = dict(snap.prices.spot)
    egress: dict[str, float] = dict(snap.prices.egress)
    for center, free in zip(snap.centers, snap.node_free, strict=True):
        tariff = tariffs.get(center.name)
        if tariff is None:
            new_centers.append(center)
            continue
        factor = tariff.multiplier_at(now)
        if not center.elastic:
            factor *= tariff.surcharge_factor(utilization(center.capacity, Resources.total(free)))
        now_prices = scaled_prices(center.prices, factor)
        pools = scaled_pools(center, factor, tariff.spot_factor())
        new_centers.append(replace(center, prices=now_prices, pools=pools))
        if tariff.spot_discount > 0:
            spot[center.name] = scaled_prices(center.prices, factor * tariff.spot_factor())
        if tariff.egress_gb is not None:
            egress[center.name] = float(tariff.egress_gb)
    prices = replace(snap.prices, spot=spot, egress=egress)
    return replace(snap, centers=tuple(new_centers), prices=prices)
