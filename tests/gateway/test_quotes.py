"""One quote route: `POST /v1/quotes` (201, with an id), and `POST /v1/quote`, its deprecated
alias for older clients (the same body, 200).

`cpu-west` sells a cpu-hour at ¥1.2 and a GB-hour at ¥0.1: the job (2 cpus, 4 GB, 1 hour)
costs 2 x 1.2 + 4 x 0.1 = ¥2.8/h.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from c2net.clock import ManualClock
from c2net.market.catalog import parse_catalog
from c2net.market.clouds import CloudMarket
from c2net.network import center_to_dict
from c2net.store import NotFound, Store
from tests.builders import center, node
from tests.fixtures.gateway import LiveGateway, serve
from tests.market.test_catalog import rows

CPU = center("cpu-west", (4, node(8, 32)), cpu=1.2, mem=0.1, role="west", hub="gansu")
JOB = {"run": "true", "resources": {"cpus": 2, "memory": 4}, "runtime": 1}


@pytest.fixture
def gw() -> Iterator[LiveGateway]:
    store = Store("sqlite://", heartbeat_timeout=15, lease_seconds=30)
    for live in serve(store, ManualClock(), run_loop=False):
        live.agent("cpu-west").register(center_to_dict(CPU), {})
        yield live


def test_quotes_answers_offers_with_an_id_hardware_and_carbon(gw: LiveGateway) -> None:
    q = gw.client.quote(JOB)
    assert q["quote_id"].startswith("q-") and q["valid_seconds"] == 900
    (o,) = q["offers"]
    assert (o["center"], o["hub"], o["pool"], o["accelerator"], o["nodes"]) == (
        "cpu-west",
        "gansu",
        "p0",
        None,
        1,
    )
    assert Decimal(o["price_per_hour"]) == Decimal("2.8")
    assert Decimal(o["estimated_cost"]) == Decimal("2.8") and o["egress"] == []
    assert o["available_now"] is True and o["estimated_start"] == q["created_at"]
    # no accelerator: 2 cores x 12 W + 4 GB x 0.3725 W = 25.49 W for 1 h = 0.02549 kWh;
    # Gansu in the built-in matrix: x PUE 1.2 x 447.1 g/kWh = 13.676 g
    assert o["carbon_kg"] == pytest.approx(0.013676, abs=1e-6)


def test_deprecated_quote_route_answers_the_same_body(gw: LiveGateway) -> None:
    headers = {"Authorization": f"Bearer {gw.client.token}"}
    new = httpx.post(f"{gw.url}/v1/quotes", json=JOB, headers=headers)
    old = httpx.post(f"{gw.url}/v1/quote", json=JOB, headers=headers)
    assert (new.status_code, old.status_code) == (201, 200)
    assert old.headers["Deprecation"] == "true"
    a, b = new.json(), old.json()
    assert a.keys() == b.keys() and a["quote_id"] != b["quote_id"]  # each is a quote
    assert a["offers"] == b["offers"]
    paths = httpx.get(f"{gw.url}/openapi.json").json()["paths"]
    assert paths["/v1/quote"]["post"]["deprecated"] is True


def test_quotes_are_forgotten_a_day_after_they_expire(gw: LiveGateway) -> None:
    q = gw.client.quote(JOB)
    clock: ManualClock = gw.app_state.clock  # type: ignore[attr-defined]
    clock.advance(q["valid_seconds"] + 3600)
    gw.store.meter(clock.now())  # the gateway's metering pass
    assert gw.store.quote_record(q["quote_id"]).id == q["quote_id"]  # expired, still kept
    clock.advance(86400)
    gw.store.meter(clock.now())
    with pytest.raises(NotFound):
        gw.store.quote_record(q["quote_id"])


def test_listed_clouds_are_quoted_beside_the_centers() -> None:
    clouds = CloudMarket(parse_catalog(rows("cpu_4x,,,4,16,0.20,,us-east-1"), "lambda"), 7.0)
    store = Store("sqlite://", heartbeat_timeout=15, lease_seconds=30)
    for live in serve(store, ManualClock(), run_loop=False, clouds=clouds):
        live.agent("cpu-west").register(center_to_dict(CPU), {})
        q = live.client.quote(JOB)
        assert [o["center"] for o in q["offers"]] == ["cpu-west"]  # what the network places
        (c,) = q["clouds"]  # and, to compare, a cloud's list price in CNY
        assert (c["cloud"], c["region"], c["instance_type"]) == ("lambda", "us-east-1", "cpu_4x")
        assert c["price_per_hour"] == pytest.approx(0.20 * 7.0)
        assert c["estimated_cost"] == pytest.approx(0.20 * 7.0 * 1)


def test_no_clouds_are_quoted_unless_listed(gw: LiveGateway) -> None:
    assert gw.client.quote(JOB)["clouds"] == []
