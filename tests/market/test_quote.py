from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from c2net.market import quote
from c2net.market.pricing import priced_snapshot
from c2net.market.tariff import parse_tariff
from c2net.model import ReasonCode, parse_spec
from c2net.scheduler import Dataset, Network, Snapshot
from tests.builders import center, node, spec

A = center("a", (1, node(8, 32, "A100:1")), cpu=0.1, mem=0.01, acc_prices={"A100": 10.0})
B = center("b", (1, node(8, 32, "A100:1")), cpu=0.1, mem=0.01, acc_prices={"A100": 12.0})
C = center("c", (1, node(8, 32)), cpu=0.01, mem=0.001)
VALLEY = parse_tariff(
    {"time_of_use": [{"period": "valley", "hours": "23:00-07:00", "multiplier": 0.5}]}
)
AT_0630 = datetime(2023, 11, 16, 6, 30, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()


def test_ranked_cheapest_first_with_exclusions() -> None:
    q = quote(spec(1, 1, "A100:1", runtime=2), Snapshot.idle([B, A, C]))
    assert [o.center for o in q.offers] == ["a", "b"]
    # a: 0.1 + 0.01 + 10 = 10.11/h, 2 h -> 20.22
    assert q.offers[0].price_per_hour == Decimal("10.11")
    assert q.offers[0].estimated_cost == Decimal("20.22")
    assert [(e.center, e.code) for e in q.excluded] == [("c", ReasonCode.NO_ACCELERATOR)]
    assert q.message == ""


def test_offer_names_its_hardware_and_start() -> None:
    q = quote(spec(1, 1, "A100:1"), Snapshot.idle([A], taken_at=100.0))
    (o,) = q.offers
    assert (o.hub, o.pool, o.accelerator, o.count, o.nodes) == ("hub-a", "p0", "A100", 1, 1)
    assert (o.available_now, o.estimated_start) == (True, 100.0)


def test_busy_center_is_offered_but_flagged() -> None:
    snap = Snapshot.with_allocations([A, B], [("a", 0, node(1, 1, "A100:1"))])
    q = quote(spec(1, 1, "A100:1"), snap)
    assert [(o.center, o.available_now) for o in q.offers] == [("b", True), ("a", False)]
    assert q.offers[1].estimated_start is None  # busy: cannot tell


def test_nothing_now_explains_why() -> None:
    snap = Snapshot.with_allocations([A], [("a", 0, node(1, 1, "A100:1"))])
    q = quote(spec(1, 1, "A100:1"), snap)
    assert q.offers[0].available_now is False
    assert "busy" in q.message


def test_no_offer_for_unknown_type() -> None:
    q = quote(spec(1, 1, "H100:8"), Snapshot.idle([A, B, C]))
    assert q.offers == ()
    assert q.message == "no center offers H100"


def test_ranked_by_cost_of_the_work_not_price_per_hour() -> None:
    h100 = center("h", (1, node(8, 32, "H100:1")), cpu=0.0, mem=0.0, acc_prices={"H100": 25.0})
    a100 = center("a", (1, node(8, 32, "A100:1")), cpu=0.0, mem=0.0, acc_prices={"A100": 10.0})
    spec = parse_spec(
        {"run": "x", "resources": {"accelerators": {"any_of": ["A100:1", "H100:1"]}}, "runtime": 10}
    )
    q = quote(spec, Snapshot.idle([a100, h100]))
    # A100 10 h x 10 = 100; H100 10 x 312 / 989.5 = 3.153108 h x 25 = 78.83
    assert [(o.center, o.price_per_hour) for o in q.offers] == [("h", 25), ("a", 10)]
    assert q.offers[0].runtime_hours == pytest.approx(10 * 312 / 989.5, abs=1e-6)
    assert float(q.offers[0].estimated_cost) == pytest.approx(25 * 10 * 312 / 989.5, abs=1e-4)


def test_a_deadline_nobody_can_meet_is_told_at_once() -> None:
    spec = parse_spec(
        {"run": "x", "resources": {"accelerators": "A100:1"}, "runtime": 10, "deadline": 4}
    )
    q = quote(spec, Snapshot.idle([A, B]))
    assert q.offers == ()
    assert q.message.startswith("no center can finish it by its deadline")


def test_carbon_is_the_schedulers_energy_x_pue_x_grid_intensity() -> None:
    net = Network(carbon_g_per_kwh={"hub-a": 500.0, "hub-b": 100.0}, pue={"hub-a": 1.2})
    snap = replace(Snapshot.idle([A, B]), network=net)
    q = quote(spec(1, 1, "A100:1", runtime=2), snap)
    kg = {o.center: o.carbon_kg for o in q.offers}
    # power: A100 400 W (catalogue TDP) + 1 core x 12 W + 1 GB x 0.3725 W = 412.3725 W;
    # x 2 h = 0.824745 kWh. a: x PUE 1.2 x 500 g = 494.847 g; b: x PUE 1.56 (the default)
    # x 100 g = 128.66022 g
    assert kg == {"a": pytest.approx(0.494847), "b": pytest.approx(0.128660)}


def test_time_of_use_periods_crossed_are_in_the_estimate() -> None:
    tariffs = {"a": VALLEY}
    snap = priced_snapshot(Snapshot.idle([A], taken_at=AT_0630), tariffs, AT_0630)
    q = quote(spec(1, 1, "A100:1", runtime=2), snap, tariffs=tariffs)
    (o,) = q.offers
    # at 06:30, valley: 10.11 x 0.5 = 5.055/h now; half an hour of valley, then flat 10.11/h
    assert o.price_per_hour == Decimal("5.055") and o.base_hourly == Decimal("10.11")
    periods = [(p.period, p.seconds, p.cost) for p in o.periods]
    # 5.055 x 1800 / 3600 = 2.5275; 10.11 x 5400 / 3600 = 15.165
    assert periods == [
        ("valley", 1800, Decimal("2.5275")),
        ("flat", 5400, Decimal("15.165")),
    ]
    assert o.estimated_cost == Decimal("17.6925")


DATA = {"d": Dataset("a", 100.0)}


@pytest.mark.parametrize(
    ("tariffs", "price_per_gb"),
    [
        ({}, Decimal("0.5")),  # the network's price
        ({"a": parse_tariff({"egress_gb": 0.3})}, Decimal("0.3")),  # the sender's tariff
    ],
)
def test_egress_is_quoted_for_offers_away_from_the_data(
    tariffs: dict[str, object], price_per_gb: Decimal
) -> None:
    snap = replace(Snapshot.idle([A, B]), datasets=DATA, network=Network(egress_per_gb=0.5))
    job = parse_spec(
        {"run": "x", "resources": {"accelerators": "A100:1"}, "runtime": 2, "inputs": ["d"]}
    )
    q = quote(job, snap, tariffs=tariffs)  # type: ignore[arg-type]
    offers = {o.center: o for o in q.offers}
    assert offers["a"].egress == ()  # the data is there
    (line,) = offers["b"].egress
    assert (line.dataset, line.source, line.gb, line.price_per_gb) == ("d", "a", 100, price_per_gb)
    # b: 12.11 x 2 = 24.22 compute + 100 GB x the price per GB
    assert offers["b"].estimated_cost == Decimal("24.22") + 100 * price_per_gb
    assert offers["b"].runtime_hours == 2.0  # moving the data is not running time


def test_a_cloud_region_is_quoted_beside_centers_at_its_whole_vm_price() -> None:
    vm = replace(
        center("cloud", (1, node(8, 32, "A100:1")), cpu=0.0, mem=0.0),
        elastic=True,
    )
    vm = replace(vm, pools=(replace(vm.pools[0], price=9.5),))
    # a is busy, the cloud never is: it starts now, at the VM's price whatever the job uses
    snap = Snapshot.with_allocations([A, vm], [("a", 0, node(1, 1, "A100:1"))], taken_at=5.0)
    q = quote(spec(1, 1, "A100:1", runtime=2), snap)
    cloud, busy = q.offers
    assert (cloud.center, cloud.price_per_hour, cloud.estimated_cost) == (
        "cloud",
        Decimal("9.5"),
        Decimal("19"),
    )
    assert (cloud.available_now, cloud.estimated_start) == (True, 5.0)
    assert (busy.center, busy.available_now) == ("a", False)
