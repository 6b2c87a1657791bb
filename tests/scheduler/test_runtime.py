"""Heterogeneous hardware compared by the work it does: runtime estimated per device, ranked by
price x estimated runtime; any_of, ordered and compute requests."""

from __future__ import annotations

import pytest

from c2net.model import Center, Plan, ReasonCode
from c2net.scheduler import Snapshot, schedule
from tests.builders import node
from tests.scheduler.builders import gpu_center, job_spec, queued

# Dense FP16 TFLOPS from the catalogue: A100 312, H100 989.5, T4 65.
A100 = gpu_center("a100-site", "A100", 10.0)
H100 = gpu_center("h100-site", "H100", 25.0)
T4 = gpu_center("t4-site", "T4", 1.5, per_node=8)


def place_one(fields: dict[str, object], centers: tuple[Center, ...] = (A100, H100)) -> Plan:
    return schedule(Snapshot.idle(centers), [queued(1, job_spec(**fields))])


@pytest.mark.parametrize(
    ("fields", "center", "cost"),
    [
        # 10 h on the first option (A100). H100: 10 x 312 / 989.5 = 3.153 h x 25 = 78.83,
        # cheaper than A100's 10 h x 10 = 100 although its hourly price is 2.5x.
        (
            {"resources": {"accelerators": {"any_of": ["A100:1", "H100:1"]}}, "runtime": 10},
            "h100-site",
            25 * 10 * 312 / 989.5,
        ),
        # The user's speed table says H100 is only 2x an A100: 5 h x 25 = 125 > 100.
        (
            {
                "resources": {"accelerators": {"any_of": ["A100:1", "H100:1"]}},
                "runtime": 10,
                "speed": {"A100": 1, "H100": 2},
            },
            "a100-site",
            100.0,
        ),
        # Runtime given on H100: 2 h x 25 = 50; A100 needs 2 x 989.5 / 312 = 6.343 h x 10 = 63.43.
        (
            {
                "resources": {"accelerators": {"any_of": ["A100:1", "H100:1"]}},
                "runtime": {"hours": 2, "device": "H100:1"},
            },
            "h100-site",
            50.0,
        ),
        # A fixed type keeps v1 behaviour: price x runtime as given (3 h x 10).
        ({"resources": {"accelerators": "A100:1"}, "runtime": 3}, "a100-site", 30.0),
    ],
)
def test_ranked_by_price_times_estimated_runtime(
    fields: dict[str, object], center: str, cost: float
) -> None:
    p = place_one(fields).placements[0]
    assert p.center == center
    assert p.estimated_cost == pytest.approx(cost)


def test_ordered_takes_the_first_type_that_can_start_now() -> None:
    fields = {"resources": {"accelerators": {"ordered": ["H100:1", "A100:1"]}}, "runtime": 10}
    # Both free: H100, the first choice.
    assert place_one(fields).placements[0].center == "h100-site"
    busy = Snapshot.with_allocations((A100, H100), [("h100-site", 0, node(1, 1, "H100:1"))])
    plan = schedule(busy, [queued(1, job_spec(**fields))])
    assert plan.placements[0].center == "a100-site"
    assert plan.placements[0].resources.accelerators == {"A100": 1}


def test_compute_request_picks_the_cheapest_devices_that_supply_it() -> None:
    fields = {
        "resources": {"accelerators": {"any_of": ["A100", "T4"]}},
        "compute": {"fp16_tflops": 312},
        "runtime": 10,
    }
    p = place_one(fields, (A100, T4)).placements[0]
    # T4: ceil(312 / 65) = 5 devices supplying 325 TFLOPS: 10 x 312 / 325 = 9.6 h at 5 x 1.5
    # = 7.5/h -> 72; A100: 1 device, 10 h x 10 = 100.
    assert (p.center, dict(p.resources.accelerators)) == ("t4-site", {"T4": 5})
    assert p.estimated_cost == pytest.approx(7.5 * 9.6)


def test_compute_with_no_device_that_fits_a_node() -> None:
    # 100 T4 would be needed for 6,500 TFLOPS; no node has them.
    fields = {"resources": {"accelerators": {"any_of": ["T4"]}}, "compute": {"fp16_tflops": 6500}}
    plan = place_one(fields, (T4,))
    assert plan.pending[0].code is ReasonCode.NODE_TOO_SMALL


def test_any_of_with_no_center_offering_any() -> None:
    plan = place_one({"resources": {"accelerators": {"any_of": ["910B:8", "MLU370:8"]}}})
    assert plan.pending[0].message == "no center offers 910B or MLU370"
