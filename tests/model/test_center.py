from __future__ import annotations

import pytest

from c2net.model import NodePool, Prices, Resources
from tests.builders import center, node


def test_capacity_and_node_shapes() -> None:
    c = center("a", (2, node(8, 32)), (1, node(16, 64, "A100:4")))
    # 2x8 + 16 cpus, 2x32 + 64 GB, 4 A100
    assert c.capacity == Resources(32, 128, {"A100": 4})
    assert c.node_count == 3
    assert c.node_shapes()[2] == node(16, 64, "A100:4")
    assert c.accelerator_types() == {"A100"}


def test_prices_hourly() -> None:
    p = Prices(cpu_hour=0.1, memory_gb_hour=0.01, accelerator_hour={"A100": 30.0})
    # 4 x 0.1 + 16 x 0.01 + 1 x 30 = 30.56
    assert p.hourly(Resources(4, 16, {"A100": 1})) == pytest.approx(30.56)
    assert p.hourly(Resources(1, 1, {"T4": 1})) is None  # not sold here


@pytest.mark.parametrize(
    ("regions", "ok"),
    [
        ((), True),
        (("east",), True),
        (("west",), False),
        (("hub-a",), True),
        (("REGION-A",), True),
        (("elsewhere", "hub-a"), True),
    ],
)
def test_in_regions(regions: tuple[str, ...], ok: bool) -> None:
    assert center("a").in_regions(regions) is ok


def test_pool_validation() -> None:
    with pytest.raises(ValueError, match="count"):
        NodePool("p", 0, node())
    with pytest.raises(ValueError, match="cpus > 0"):
        NodePool("p", 1, Resources(0, 1))
