"""Clouds beside the network's centers: catalogue offers converted to the network's currency,
and the network file's `catalogs:` section."""

from __future__ import annotations

from pathlib import Path

import pytest

from c2net.market.catalog import parse_catalog
from c2net.market.clouds import CloudMarket, load_clouds
from c2net.model import parse_spec
from c2net.network import load_catalogs
from tests.market.test_catalog import rows

LAMBDA = rows(
    "gpu_1x_a100,A100,1,30,200,1.29,,us-east-1",
    "gpu_1x_a100,A100,1,30,200,1.10,0.50,us-west-1",
    "cpu_4x,,,4,16,0.20,,us-east-1",
)


def test_offers_come_in_the_network_currency_cheapest_first() -> None:
    market = CloudMarket(parse_catalog(LAMBDA, "lambda"), rate=7.0)
    spec = parse_spec({"run": "x", "resources": {"accelerators": "A100:1"}, "runtime": 2})
    cheap, dear = market.top(spec)
    assert (cheap.region, dear.region) == ("us-west-1", "us-east-1")
    assert cheap.price_per_hour == pytest.approx(1.10 * 7.0)
    assert cheap.estimated_cost == pytest.approx(1.10 * 7.0 * 2)
    assert cheap.spot_price == pytest.approx(0.50 * 7.0) and dear.spot_price is None
    assert market.top(spec, 1) == [cheap]


def test_load_clouds_names_what_it_cannot_read(tmp_path: Path) -> None:
    assert len(load_clouds(["alicloud", "tencentcloud"], 7.2464).table) > 0
    with pytest.raises(OSError):
        load_clouds([str(tmp_path / "missing.csv")], 1.0)


def test_the_builtin_network_quotes_chinese_clouds() -> None:
    assert load_catalogs(None) == (["alicloud", "tencentcloud"], 7.2464)


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ("catalogs: {names: gcp}", "catalogs.names must list"),
        ("catalogs: {names: [gcp], usd_rate: lots}", "catalogs.usd_rate must be a number"),
    ],
)
def test_bad_catalog_sections_are_refused(tmp_path: Path, section: str, problem: str) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(section + "\ncenters: []\n")
    with pytest.raises(ValueError, match=problem):
        load_catalogs(path)
    path.write_text("centers: []\n")
    assert load_catalogs(path) == ([], None)
