"""What an attempt costs: the terms fixed when it was placed, cut into time-of-use lines.

Each line is `price per hour x seconds / 3600`, rounded to the quantum asked for (a millionth of
a yuan while the attempt runs, a fen when it is settled); an attempt's cost is the sum of its
lines, so a bill can be checked line by line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from c2net.market.pricing import CURRENCY_SYMBOLS
from c2net.market.tariff import Tariff
from c2net.model import Prices, Resources

__all__ = [
    "FEN",
    "MICRO",
    "Terms",
    "UsageLine",
    "estimate",
    "quantize",
    "resource_shares",
    "usage_lines",
    "yuan_text",
]

MICRO = Decimal("0.000001")
FEN = Decimal("0.01")
_MS = Decimal("0.001")


def yuan_text(amount: Decimal, currency: str = "CNY") -> str:
    """¥12.34 for whole fen, ¥0.000667 for metered amounts (to the millionth)."""
    symbol = CURRENCY_SYMBOLS.get(currency, currency + " ")
    places = FEN if amount == amount.quantize(FEN) else MICRO
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount).quantize(places):,}"


def quantize(amount: Decimal, quantum: Decimal = MICRO) -> Decimal:
    return amount.quantize(quantum, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Terms:
    """An attempt's price, fixed at placement: a running attempt keeps it whatever the center's
    prices do later. `base_hourly` is the price per hour before time-of-use (spot discount,
    utilization surcharge and any quoted price already applied); the tariff's bands then apply
    to the periods the attempt crosses."""

    base_hourly: Decimal
    tariff: Tariff = field(default_factory=Tariff)
    fee_rate: Decimal = Decimal(0)
    shares: Mapping[str, Decimal] = field(default_factory=dict)  # provider revenue by resource
    spot: bool = False
    quote_id: str | None = None

    def price_at(self, ts: float) -> Decimal:
        """Price per hour at `ts`, to a millionth."""
        return quantize(self.base_hourly * self.tariff.multiplier_at(ts))


@dataclass(frozen=True)
class UsageLine:
    """The seconds an attempt ran under one price (a time-of-use period), like a tier of an
    electricity bill: cost = price_per_hour x seconds / 3600."""

    period: str
    price_per_hour: Decimal
    seconds: Decimal
    cost: Decimal


def usage_lines(
    terms: Terms, start: float, seconds: float, quantum: Decimal = MICRO
) -> list[UsageLine]:
    """The attempt's usage from `start` for `seconds`, one line per time-of-use period
    crossed (in order of first use). Seconds are kept to the millisecond and the lines'
    seconds add up to the whole."""
    total = Decimal(str(max(seconds, 0.0))).quantize(_MS)
    if total <= 0:
        return []
    spans = terms.tariff.seconds_by_period(start, start + float(total))
    lines: list[UsageLine] = []
    used = Decimal(0)
    for i, ((period, multiplier), secs_f) in enumerate(spans.items()):
        last = i == len(spans) - 1
        secs = total - used if last else Decimal(str(secs_f)).quantize(_MS)
        used += secs
        price = quantize(terms.base_hourly * multiplier)
        lines.append(UsageLine(period, price, secs, quantize(price * secs / 3600, quantum)))
    return lines


def estimate(terms: Terms, start: float, hours: float) -> Decimal:
    """The cost of running `hours` from `start` (time-of-use periods crossed included)."""
    return sum(
        (line.cost for line in usage_lines(terms, start, hours * 3600.0)), Decimal("0.000000")
    )


def resource_shares(prices: Prices, request: Resources, nodes: int = 1) -> Mapping[str, Decimal]:
    """How an hour of `request` splits between resource types (cpu, memory, accelerator
    types), by unit price: the weights a provider's revenue is reported under."""
    weights: dict[str, Decimal] = {
        "cpu": Decimal(str(request.cpus * prices.cpu_hour * nodes)),
        "memory": Decimal(str(request.memory_gb * prices.memory_gb_hour * nodes)),
    }
    for name, count in request.accelerators.items():
        weights[name] = Decimal(str(count * prices.accelerator_hour.get(name, 0.0) * nodes))
    weights = {k: v for k, v in weights.items() if v > 0}
    return weights or {"compute": Decimal(1)}
