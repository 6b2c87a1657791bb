"""Per-second metering: what an attempt costs at the price fixed when it was placed."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

__all__ = ["CURRENCY_SYMBOLS", "attempt_cost", "money"]

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
