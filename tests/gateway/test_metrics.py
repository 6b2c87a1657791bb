"""GET /metrics over real HTTP, on a manual clock with cycles driven by hand: the Prometheus
text parses, and every number matches the REST API or the arithmetic in the comments."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from c2net.clock import ManualClock
from c2net.network import center_to_dict
from tests.builders import center, node
from tests.fixtures.gateway import LiveGateway

CPU = center("cpu-west", (2, node(4, 16)), cpu=0.1, mem=0.01, role="west")
GPU = center("gpu-east", (1, node(16, 64, "A100:2")), cpu=0.2, mem=0.02, acc_prices={"A100": 20.0})

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(gw: LiveGateway) -> Samples:
    resp = httpx.get(f"{gw.url}/metrics", headers={"Authorization": f"Bearer {gw.admin.token}"})
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(resp.text)
        for s in family.samples
    }


def cycle(gw: LiveGateway) -> None:
    gw.app_state.loop.run_once()  # type: ignore[attr-defined]


def advance(gw: LiveGateway, seconds: float) -> None:
    clock: ManualClock = gw.app_state.clock  # type: ignore[attr-defined]
    clock.advance(seconds)


@pytest.fixture
def gw(manual_gateway: LiveGateway) -> LiveGateway:
    for c in (CPU, GPU):
        manual_gateway.agent(c.name).register(center_to_dict(c), {"test": True})
    return manual_gateway


def run(gw: LiveGateway, job_id: int, state: str, **fields: object) -> None:
    """Report the job's last attempt as its center's agent would."""
    job = gw.client.job(job_id)
    agent = gw.agent(job["center"])
    agent.report(job["center"], job["attempts"][-1]["id"], state, **fields)


def test_only_operators_may_scrape(gw: LiveGateway) -> None:
    assert httpx.get(f"{gw.url}/metrics").status_code == 401
    consumer = {"Authorization": f"Bearer {gw.client.token}"}
    assert httpx.get(f"{gw.url}/metrics", headers=consumer).status_code == 403


def test_an_empty_gateway_exposes_every_family(gw: LiveGateway) -> None:
    m = scrape(gw)
    for state in ("PENDING", "ASSIGNED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "LOST"):
        assert m[("c2net_jobs", (("state", state),))] == 0
    assert m[("c2net_jobs_submitted_total", ())] == 0
    assert m[("c2net_job_queue_wait_seconds_count", ())] == 0
    assert m[("c2net_scheduling_cycles_total", ())] == 0
    assert m[("c2net_center_capacity_cpus", (("center", "cpu-west"),))] == 8  # 2 nodes x 4
    assert m[("c2net_center_healthy", (("center", "gpu-east"),))] == 1


def test_jobs_waits_and_placements(gw: LiveGateway) -> None:
    a = gw.client.submit({"run": "x", "resources": {"cpus": 1}})
    gw.client.submit({"run": "x", "resources": {"cpus": 99}})  # fits no node: stays pending
    c = gw.client.submit({"run": "x", "resources": {"cpus": 1}})
    advance(gw, 2)
    cycle(gw)  # places a and c
    run(gw, a["id"], "RUNNING")  # a waited 2 s
    advance(gw, 3)
    run(gw, c["id"], "RUNNING")  # c waited 2 + 3 = 5 s
    advance(gw, 1)
    run(gw, a["id"], "SUCCEEDED", exit_code=0, wall_seconds=4.0)
    cycle(gw)  # b is still pending: nothing more to place

    m = scrape(gw)
    jobs = gw.client.jobs()
    by_state = Counter(j["state"] for j in jobs)
    assert by_state == {"PENDING": 1, "RUNNING": 1, "SUCCEEDED": 1}
    for state in ("PENDING", "ASSIGNED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "LOST"):
        assert m[("c2net_jobs", (("state", state),))] == by_state.get(state, 0)
    assert m[("c2net_jobs_submitted_total", ())] == 3
    assert m[("c2net_attempts", (("state", "RUNNING"),))] == 1
    assert m[("c2net_attempts", (("state", "SUCCEEDED"),))] == 1
    # waits 2 s and 5 s: count 2, sum 7; le=1 holds none, le=2.5 one, le=5 both
    wait = "c2net_job_queue_wait_seconds"
    assert m[(f"{wait}_count", ())] == 2
    assert m[(f"{wait}_sum", ())] == pytest.approx(7.0)
    assert m[(f"{wait}_bucket", (("le", "1.0"),))] == 0
    assert m[(f"{wait}_bucket", (("le", "2.5"),))] == 1
    assert m[(f"{wait}_bucket", (("le", "5.0"),))] == 2
    assert m[(f"{wait}_bucket", (("le", "+Inf"),))] == 2
    # two cycles, two placements, both cycles in the histogram
    assert m[("c2net_scheduling_cycles_total", ())] == 2
    assert m[("c2net_scheduling_placements_total", ())] == 2
    assert m[("c2net_scheduling_cycle_seconds_count", ())] == 2
    assert m[("c2net_scheduling_cycle_seconds_bucket", (("le", "+Inf"),))] == 2
    assert m[("c2net_scheduling_last_cycle_queued", ())] == 1
    assert m[("c2net_scheduling_last_cycle_placed", ())] == 0


def test_centers_and_revenue_match_the_api(gw: LiveGateway) -> None:
    job = gw.client.submit({"run": "x", "resources": {"cpus": 2, "accelerators": "A100:1"}})
    cycle(gw)
    run(gw, job["id"], "RUNNING")
    advance(gw, 360)
    m = scrape(gw)
    for c in gw.client.centers():
        key = (("center", c["name"]),)
        assert m[("c2net_center_capacity_cpus", key)] == c["capacity"]["cpus"]
        assert m[("c2net_center_used_cpus", key)] == c["used"]["cpus"]
        assert m[("c2net_center_capacity_memory_gb", key)] == c["capacity"]["memory_gb"]
        assert m[("c2net_center_used_memory_gb", key)] == c["used"]["memory_gb"]
        assert m[("c2net_center_running_attempts", key)] == c["running_jobs"]
        for kind, n in c["capacity"]["accelerators"].items():
            labels = (("accelerator", kind), ("center", c["name"]))
            assert m[("c2net_center_capacity_accelerators", labels)] == n
            assert m[("c2net_center_used_accelerators", labels)] == c["used"]["accelerators"].get(
                kind, 0
            )
        price = (("center", c["name"]), ("currency", "CNY"), ("item", "cpu"))
        assert m[("c2net_center_price_per_hour", price)] == c["prices"]["cpu_hour"]
    assert m[("c2net_center_used_accelerators", (("accelerator", "A100"), ("center", "gpu-east")))]
    # the running attempt, metered to now: (2 x 0.2 + 1 GB x 0.02 + 1 x 20.0) /h x 360 s = 2.042
    bill = gw.client.bill()
    assert bill["by_center"] == {"gpu-east": pytest.approx(2.042)}
    revenue = m[("c2net_revenue", (("center", "gpu-east"), ("currency", "CNY")))]
    assert revenue == pytest.approx(bill["by_center"]["gpu-east"], abs=1e-6)
    assert m[("c2net_billed_wall_seconds", ())] == pytest.approx(360)


def test_a_silent_center_is_unhealthy(gw: LiveGateway) -> None:
    advance(gw, 16)  # past the 15 s heartbeat timeout
    gw.agent("gpu-east").heartbeat("gpu-east", [])
    m = scrape(gw)
    assert m[("c2net_center_healthy", (("center", "cpu-west"),))] == 0
    assert m[("c2net_center_healthy", (("center", "gpu-east"),))] == 1
    assert m[("c2net_center_heartbeat_age_seconds", (("center", "cpu-west"),))] == 16


def test_work_diverted_west_and_preemptions_are_counted(gw: LiveGateway) -> None:
    gw.admin.set_account_policy("alice", home="yangtze-river-delta")  # an eastern hub
    gw.consumer("wendy")
    gw.admin.set_account_policy("wendy", home="ningxia")  # a western hub
    wendy = gw._clients[-1]
    gw.client.submit({"run": "true", "resources": {"cpus": 1}})  # cpu-west is cheapest
    wendy.submit({"run": "true", "resources": {"cpus": 1}})
    gw.client.submit({"run": "true", "resources": {"accelerators": "A100:1"}})  # only east
    cycle(gw)
    m = scrape(gw)
    assert m[("c2net_scheduling_placements_total", ())] == 3
    assert m[("c2net_scheduling_placements_west_total", ())] == 2
    assert m[("c2net_scheduling_diverted_west_total", ())] == 1  # alice's, not wendy's
    assert m[("c2net_scheduling_preemptions_total", ())] == 0


def test_a_cloud_region_exports_its_price_per_node(gw: LiveGateway) -> None:
    vm = replace(center("vms", (1, node(8, 32))), elastic=True)
    vm = replace(vm, pools=(replace(vm.pools[0], name="vm.large", price=3.25),))
    gw.agent("vms").register(center_to_dict(vm), {})
    m = scrape(gw)
    labels = (("center", "vms"), ("currency", "CNY"))
    assert m[("c2net_center_price_per_hour", (*labels, ("item", "node:vm.large")))] == 3.25
    assert ("c2net_center_price_per_hour", (*labels, ("item", "cpu"))) not in m
