"""Center files: a cloud region published from a price catalogue, whole-node prices, elastic."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from c2net.market.catalog import builtin_catalog
from c2net.market.clouds import USD_RATE
from c2net.network import center_to_dict, load_center, load_network, parse_center
from tests.market.test_catalog import HEADER


def _alicloud_beijing() -> dict[str, tuple[str, int, float, float | None]]:
    """The built-in Alibaba catalogue's cn-beijing offers: type -> (device, count, USD, spot)."""
    table = builtin_catalog("alicloud")
    out = {}
    for i in range(len(table)):
        o = table.offer(i)
        if o.region == "cn-beijing":
            out[o.instance_type] = (o.accelerator, o.count, o.price, o.spot_price)
    return out


def test_a_catalogue_region_becomes_an_elastic_center_priced_per_node() -> None:
    c = parse_center(
        {
            "name": "ali-beijing",
            "hub": "beijing-tianjin-hebei",
            "emulated": True,
            "catalog": {"source": "alicloud", "region": "cn-beijing"},
        }
    )
    listed = _alicloud_beijing()
    assert (c.name, c.hub, c.region, c.role) == (
        "ali-beijing",
        "beijing-tianjin-hebei",
        "cn-beijing",
        "cloud",
    )
    assert c.elastic and c.emulated and c.backend == "local"
    assert {p.name for p in c.pools} == set(listed)
    for pool in c.pools:
        device, count, usd, spot = listed[pool.name]
        assert dict(pool.shape.accelerators) == ({device: count} if count else {})
        assert pool.price == pytest.approx(usd * USD_RATE)
        assert pool.spot_price == (None if spot is None else pytest.approx(spot * USD_RATE))
    # the file form keeps it all (the store registers this form)
    assert parse_center(center_to_dict(c)) == c


def test_stated_capacity_is_not_elastic() -> None:
    c = parse_center(
        {
            "name": "ali",
            "catalog": {"source": "alicloud", "region": "cn-beijing", "nodes": 2, "usd_rate": 7},
        }
    )
    assert not c.elastic and {p.count for p in c.pools} == {2}
    t4 = next(p for p in c.pools if p.name == "ecs.gn6i-c4g1.xlarge")
    assert t4.price == pytest.approx(_alicloud_beijing()[t4.name][2] * 7)


def test_a_catalogue_file_beside_the_center_file(tmp_path: Path) -> None:
    (tmp_path / "mine.csv").write_text(
        HEADER + "\nvm.a10,A10,1,8,32,1.25,0.40,hall-1\nvm.cpu,,,4,16,0.10,,hall-1\n"
    )
    path = tmp_path / "center.yaml"
    path.write_text(
        yaml.safe_dump({"name": "hall", "catalog": {"source": "mine.csv", "region": "hall-1"}})
    )
    c, _ = load_center(path)
    assert sorted((p.name, p.price) for p in c.pools) == [
        ("vm.a10", pytest.approx(1.25 * USD_RATE)),
        ("vm.cpu", pytest.approx(0.10 * USD_RATE)),
    ]


@pytest.mark.parametrize(
    ("catalog", "extra", "problem"),
    [
        ({"source": "alicloud", "region": "mars-1"}, {}, "region 'mars-1'.*cn-beijing"),
        ({"source": "alicloud"}, {}, "`source` .* and `region` are required"),
        ({"source": "alicloud", "region": "cn-beijing", "usd_rate": -1}, {}, "usd_rate must be"),
        ({"source": "alicloud", "region": "cn-beijing", "nodes": 0}, {}, "nodes must be >= 1"),
        ({"source": "alicloud", "region": "cn-beijing", "zone": "a"}, {}, "unknown keys"),
        ({"source": "nowhere.csv", "region": "x"}, {}, "nowhere.csv"),
        (
            {"source": "alicloud", "region": "cn-beijing"},
            {"pools": [{"count": 1, "cpus": 1, "memory": 1}]},
            "not both",
        ),
    ],
)
def test_bad_catalog_sections_say_what_to_fix(
    catalog: dict[str, object], extra: dict[str, object], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_center({"name": "c", "catalog": catalog, **extra})


def test_whole_node_prices_in_a_plain_center_file() -> None:
    c = parse_center(
        {
            "name": "vms",
            "elastic": True,
            "pools": [{"name": "big", "count": 1, "cpus": 8, "memory": 32, "price": 3.5}],
        }
    )
    assert c.elastic and (c.pools[0].price, c.pools[0].spot_price) == (3.5, None)
    with pytest.raises(ValueError, match="spot_price needs a price"):
        parse_center(
            {"name": "v", "pools": [{"count": 1, "cpus": 1, "memory": 1, "spot_price": 1}]}
        )


def test_a_network_file_names_catalogue_files_beside_it(tmp_path: Path) -> None:
    (tmp_path / "mine.csv").write_text(HEADER + "\nvm.cpu,,,4,16,0.10,,hall-1\n")
    path = tmp_path / "net.yaml"
    path.write_text(
        yaml.safe_dump(
            {"centers": [{"name": "hall", "catalog": {"source": "mine.csv", "region": "hall-1"}}]}
        )
    )
    (raw,) = load_network(path)
    # the agent's center file is written elsewhere (`c2net up`): the path must not be relative
    assert raw["catalog"]["source"] == str(tmp_path / "mine.csv")
    assert parse_center(raw).pools[0].price == pytest.approx(0.10 * USD_RATE)
