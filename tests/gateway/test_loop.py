"""The gateway's scheduling loop: each cycle runs the production scheduler with its defaults."""

from __future__ import annotations

import pytest

from c2net.network import center_to_dict
from tests.fixtures.gateway import LiveGateway
from tests.scheduler.builders import gpu_center


def test_a_cycle_places_the_optimised_plan_not_greedys(manual_gateway: LiveGateway) -> None:
    gw = manual_gateway
    for c in (
        gpu_center("cheap-a100", "A100", 10.0),
        gpu_center("dear-a100", "A100", 30.0),
        gpu_center("h100", "H100", 12.0),
    ):
        gw.agent(c.name).register(center_to_dict(c), {})
    flexible = gw.client.submit(
        {
            "run": "x",
            "resources": {"accelerators": {"any_of": ["A100:1", "H100:1"]}},
            "speed": {"A100": 1, "H100": 1},
        }
    )
    rigid = gw.client.submit({"run": "x", "resources": {"accelerators": "A100:1"}})
    gw.app_state.loop.run_once()  # type: ignore[attr-defined]
    # greedy, job by job: the flexible job takes the cheap A100 (10 < 12) and the rigid one is
    # left the dear A100 (10 + 30 = 40 an hour); the optimised plan costs 12 + 10 = 22
    placed = {
        j["id"]: j["center"] for j in (gw.client.job(flexible["id"]), gw.client.job(rigid["id"]))
    }
    assert placed == {flexible["id"]: "h100", rigid["id"]: "cheap-a100"}
    prices = [gw.client.job(j)["attempts"][0]["price_per_hour"] for j in placed]
    assert sum(prices) == pytest.approx(22.0, rel=0.01)
