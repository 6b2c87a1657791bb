"""An attempt's cost: one line per time-of-use period, each price x seconds."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from c2net.market.tariff import parse_tariff
from c2net.market.usage import FEN, Terms, estimate, resource_shares, usage_lines, yuan_text
from c2net.model import Prices, Resources

SH = ZoneInfo("Asia/Shanghai")
TOU = parse_tariff(
    {
        "time_of_use": [
            {"period": "peak", "hours": "08:00-12:00", "multiplier": 1.5},
            {"period": "valley", "hours": "23:00-07:00", "multiplier": 0.5},
        ]
    }
)


def at(hour: int, minute: int = 0) -> float:
    return datetime(2023, 11, 15, hour, minute, tzinfo=SH).timestamp()


def test_lines_per_period_each_price_times_seconds() -> None:
    terms = Terms(Decimal("2.8"), TOU)
    lines = usage_lines(terms, at(6, 30), 2 * 3600, FEN)
    # 06:30-07:00 valley at 1.4/h: 0.70; 07:00-08:00 flat at 2.8/h: 2.80;
    # 08:00-08:30 peak at 4.2/h: 2.10
    assert [(x.period, x.price_per_hour, x.seconds, x.cost) for x in lines] == [
        ("valley", Decimal("1.4"), 1800, Decimal("0.70")),
        ("flat", Decimal("2.8"), 3600, Decimal("2.80")),
        ("peak", Decimal("4.2"), 1800, Decimal("2.10")),
    ]


def test_per_second_metering_to_the_millionth() -> None:
    # 0.24/h x 9 s / 3600 = 0.0006
    (line,) = usage_lines(Terms(Decimal("0.24")), at(14), 9.0)
    assert line.cost == Decimal("0.000600")
    assert usage_lines(Terms(Decimal("0.24")), at(14), 0.0) == []


def test_seconds_add_up_to_the_whole() -> None:
    lines = usage_lines(
        Terms(Decimal(1), TOU),
        at(
            6,
            59,
        ),
        120.4567,
    )
    assert sum(x.seconds for x in lines) == Decimal("120.457")  # kept to the millisecond


def test_estimate_crosses_periods() -> None:
    # 3 h from 10:00: 2 h peak (2 x 1.5 = 3) + 1 h flat (1) at base 1/h = 4
    assert estimate(Terms(Decimal(1), TOU), at(10), 3.0) == Decimal(4)


def test_resource_shares_by_unit_price() -> None:
    prices = Prices(1.2, 0.1, {"A100": 20.0})
    shares = resource_shares(prices, Resources(2, 4, {"A100": 1}), nodes=2)
    # per node 2 x 1.2, 4 x 0.1, 1 x 20; two nodes
    assert shares == {"cpu": Decimal("4.8"), "memory": Decimal("0.8"), "A100": Decimal("40.0")}
    assert resource_shares(Prices(0, 0), Resources(1, 1)) == {"compute": Decimal(1)}


def test_yuan_text() -> None:
    assert yuan_text(Decimal("1234.5")) == "¥1,234.50"
    assert yuan_text(Decimal("0.000667")) == "¥0.000667"
    assert yuan_text(Decimal("-2")) == "-¥2.00"
