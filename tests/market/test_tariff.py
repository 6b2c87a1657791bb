"""Price plans: parsing, time-of-use periods in the center's zone, surcharge, long spans."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from c2net.market.tariff import Tariff, parse_tariff

SH = ZoneInfo("Asia/Shanghai")
GRID = parse_tariff(
    {
        "time_of_use": [
            {"period": "peak", "hours": "08:00-11:00", "multiplier": 1.5},
            {"period": "valley", "hours": "23:00-07:00", "multiplier": 0.5},
        ],
        "utilization_surcharge": {"above": 0.6, "max": 0.4},
    }
)


def at(hour: int, minute: int = 0, day: int = 15) -> float:
    return datetime(2023, 11, day, hour, minute, tzinfo=SH).timestamp()


@pytest.mark.parametrize(
    ("ts", "period", "multiplier"),
    [
        (at(8), "peak", Decimal("1.5")),  # a band's start is inside it
        (at(10, 59), "peak", Decimal("1.5")),
        (at(11), "flat", Decimal(1)),  # its end is not
        (at(23, 30), "valley", Decimal("0.5")),  # the valley wraps past midnight
        (at(3), "valley", Decimal("0.5")),
        (at(7), "flat", Decimal(1)),
    ],
)
def test_period_at(ts: float, period: str, multiplier: Decimal) -> None:
    assert GRID.period_at(ts) == (period, multiplier)


def test_period_follows_the_centers_time_zone() -> None:
    urumqi = parse_tariff(
        {
            "timezone": "Asia/Urumqi",  # UTC+6: 09:00 in Shanghai is 07:00 there
            "time_of_use": [{"period": "peak", "hours": "08:00-11:00", "multiplier": 2}],
        }
    )
    assert urumqi.period_at(at(9)) == ("flat", Decimal(1))
    assert urumqi.period_at(at(10)) == ("peak", Decimal(2))


def test_segments_cut_at_band_edges() -> None:
    cuts = [(s.period, s.end - s.start) for s in GRID.segments(at(6, 30), at(12))]
    # 06:30-07:00 valley, 07:00-08:00 flat, 08:00-11:00 peak, 11:00-12:00 flat
    assert cuts == [("valley", 1800), ("flat", 3600), ("peak", 3 * 3600), ("flat", 3600)]


def test_long_spans_count_whole_days_once() -> None:
    # 10 days from 06:30: each whole day has 3 h peak, 8 h valley, 13 h flat
    start, end = at(6, 30), at(6, 30) + 10 * 86400
    fast = GRID.seconds_by_period(start, end)
    slow: dict[tuple[str, Decimal], float] = {}
    for s in GRID.segments(start, end):
        key = (s.period, s.multiplier)
        slow[key] = slow.get(key, 0.0) + s.end - s.start
    assert fast == pytest.approx(slow)
    assert fast[("peak", Decimal("1.5"))] == pytest.approx(10 * 3 * 3600)
    assert sum(fast.values()) == pytest.approx(10 * 86400)


@pytest.mark.parametrize(
    ("utilization", "factor"),
    [
        (0.0, Decimal(1)),
        (0.6, Decimal(1)),  # up to `above`: no surcharge
        (0.8, Decimal("1.2")),  # halfway from 0.6 to 1.0: half of max 0.4
        (1.0, Decimal("1.4")),  # capped at 1 + max
        (1.5, Decimal("1.4")),
    ],
)
def test_utilization_surcharge(utilization: float, factor: Decimal) -> None:
    assert GRID.surcharge_factor(utilization) == factor


def test_no_tariff_is_flat() -> None:
    assert parse_tariff(None) == Tariff()
    assert Tariff().period_at(at(9)) == ("flat", Decimal(1))
    assert Tariff().spot_factor() == 1


def test_round_trip() -> None:
    assert parse_tariff(GRID.to_dict()) == GRID


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"colour": 1}, "unknown keys"),
        ({"time_of_use": {"peak": 1}}, "expected a list"),
        ({"time_of_use": [{"period": "p", "hours": "8-9", "multiplier": 1}]}, "HH:MM-HH:MM"),
        ({"time_of_use": [{"period": "p", "hours": "25:00-26:00", "multiplier": 1}]}, "time"),
        ({"time_of_use": [{"period": "p", "hours": "08:00-08:00", "multiplier": 1}]}, "empty"),
        ({"time_of_use": [{"hours": "08:00-09:00", "multiplier": 1}]}, "period: required"),
        ({"time_of_use": [{"period": "p", "hours": "08:00-09:00", "multiplier": 0}]}, "0.01"),
        (
            {
                "time_of_use": [
                    {"period": "a", "hours": "08:00-10:00", "multiplier": 2},
                    {"period": "b", "hours": "09:00-11:00", "multiplier": 2},
                ]
            },
            "overlap",
        ),
        ({"spot_discount": 1}, "spot_discount"),
        ({"spot_discount": "lots"}, "expected a number"),
        ({"utilization_surcharge": 3}, "utilization_surcharge"),
        ({"timezone": "Nowhere/Land"}, "unknown time zone"),
        ({"egress_gb": -1}, "egress_gb"),
    ],
)
def test_bad_tariffs_say_which_field(data: dict[str, object], needle: str) -> None:
    with pytest.raises(ValueError, match="tariff") as info:
        parse_tariff(data)
    assert needle in str(info.value)
