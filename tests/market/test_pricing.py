from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from c2net.market import Bill, attempt_cost, make_line, money
from c2net.market.pricing import priced_snapshot
from c2net.market.tariff import Tariff, parse_tariff
from c2net.model import Resources
from c2net.scheduler import Snapshot
from tests.builders import center, node


@pytest.mark.parametrize(
    ("price", "seconds", "expected"),
    [
        (3.6, 1, "0.001000"),  # 3.6/h is 0.001 a second
        (36.0, 3600, "36.000000"),
        (0.1, 10, "0.000278"),  # 0.1 x 10 / 3600 = 0.0002777.. rounds half-even to 0.000278
        (20.0, 0, "0.000000"),
        (20.0, -5, "0.000000"),  # no negative time
    ],
)
def test_attempt_cost_per_second(price: float, seconds: float, expected: str) -> None:
    assert attempt_cost(price, seconds) == Decimal(expected)


def _line(state: str, seconds: float, price: float = 36.0, center: str = "a") -> object:
    return make_line(
        job_id=1,
        job_name="j",
        attempt=1,
        center=center,
        resources="1 cpus",
        state=state,
        started_at=0.0,
        ended_at=seconds,
        wall_seconds=seconds,
        price_per_hour=price,
    )


def test_lost_attempts_are_not_billed() -> None:
    lost = _line("LOST", 100)
    assert lost.cost == Decimal(0) and not lost.billed  # type: ignore[attr-defined]
    done = _line("SUCCEEDED", 100)
    assert done.cost == Decimal("1.000000")  # type: ignore[attr-defined]  # 36/h x 100 s


def test_bill_totals_add_up() -> None:
    lines = [
        _line("SUCCEEDED", 100, center="a"),
        _line("FAILED", 50, center="b"),
        _line("LOST", 70, center="a"),
        _line("SUCCEEDED", 1, price=0.1, center="b"),
    ]
    bill = Bill.of(lines)  # type: ignore[arg-type]
    # a: 1.0 + 0 ; b: 0.5 + 0.1 x 1 / 3600 = 0.5 + 0.000028
    assert bill.by_center == {"a": Decimal("1.000000"), "b": Decimal("0.500028")}
    assert bill.total == sum(bill.by_center.values())
    assert bill.wall_seconds == 151  # 100 + 50 + 1; the lost 70 s are not billed


def test_money_has_symbol() -> None:
    assert money(Decimal("1.5")) == "¥1.5000"
    assert money(2, "USD", 2) == "$2.00"


def test_a_tariffs_egress_price_reaches_the_scheduler() -> None:
    a, b = center("a"), center("b")
    snap = priced_snapshot(
        Snapshot.idle([a, b]), {"a": Tariff(egress_gb=Decimal("0.08")), "b": Tariff()}, 0.0
    )
    assert snap.prices.egress == {"a": pytest.approx(0.08)}  # b: the network's price


def test_whole_node_prices_follow_the_tariff_without_a_surcharge_on_elastic_centers() -> None:
    vm = center("cloud", (1, node(4, 16)), (1, node(8, 32)))
    vm = replace(
        vm,
        elastic=True,
        pools=(replace(vm.pools[0], price=2.0, spot_price=0.5), replace(vm.pools[1], price=4.0)),
    )
    tariff = parse_tariff(
        {
            "flat_multiplier": 1.5,
            "spot_discount": 0.6,
            "utilization_surcharge": {"above": 0.0, "max": 1.0},
        }
    )
    # every listed node busy: a center with a finite pool would pay the full surcharge
    busy = Snapshot(
        (vm,),
        ((Resources(0, 0), Resources(0, 0)),),
    )
    (priced,) = priced_snapshot(busy, {"cloud": tariff}, 0.0).centers
    first, second = priced.pools
    assert (first.price, first.spot_price) == (pytest.approx(3.0), pytest.approx(0.75))
    # no spot price of its own: the tariff's spot discount on its price now
    assert (second.price, second.spot_price) == (pytest.approx(6.0), pytest.approx(2.4))
    listed = replace(vm, elastic=False)
    (full,) = priced_snapshot(replace(busy, centers=(listed,)), {"cloud": tariff}, 0.0).centers
    assert full.pools[0].price == pytest.approx(2.0 * 1.5 * 2)  # x 2: the whole surcharge
