from __future__ import annotations

import pytest

from c2net.market import quote
from c2net.model import ReasonCode, parse_spec
from c2net.scheduler import Snapshot
from tests.builders import center, node, spec

A = center("a", (1, node(8, 32, "A100:1")), cpu=0.1, mem=0.01, acc_prices={"A100": 10.0})
B = center("b", (1, node(8, 32, "A100:1")), cpu=0.1, mem=0.01, acc_prices={"A100": 12.0})
C = center("c", (1, node(8, 32)), cpu=0.01, mem=0.001)


def test_ranked_cheapest_first_with_exclusions() -> None:
    q = quote(spec(1, 1, "A100:1", runtime=2), Snapshot.idle([B, A, C]))
    assert [o.center for o in q.offers] == ["a", "b"]
    # a: 0.1 + 0.01 + 10 = 10.11/h, 2 h -> 20.22
    assert q.offers[0].price_per_hour == pytest.approx(10.11)
    assert q.offers[0].estimated_cost == pytest.approx(20.22)
    assert [(e.center, e.code) for e in q.excluded] == [("c", ReasonCode.NO_ACCELERATOR)]
    assert q.message == ""


def test_busy_center_is_offered_but_flagged() -> None:
    snap = Snapshot.with_allocations([A, B], [("a", 0, node(1, 1, "A100:1"))])
    q = quote(spec(1, 1, "A100:1"), snap)
    assert [(o.center, o.available_now) for o in q.offers] == [("b", True), ("a", False)]


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
    # A100 10 h x 10 = 100; H100 10 x 312 / 989.5 = 3.153 h x 25 = 78.83
    assert [(o.center, o.price_per_hour) for o in q.offers] == [("h", 25.0), ("a", 10.0)]
    assert q.offers[0].estimated_cost == pytest.approx(25 * 10 * 312 / 989.5)


def test_a_deadline_nobody_can_meet_is_told_at_once() -> None:
    spec = parse_spec(
        {"run": "x", "resources": {"accelerators": "A100:1"}, "runtime": 10, "deadline": 4}
    )
    q = quote(spec, Snapshot.idle([A, B]))
    assert q.offers == ()
    assert q.message.startswith("no center can finish it by its deadline")
