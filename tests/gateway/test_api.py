"""The REST API over real HTTP on loopback, with the scheduling loop driven by hand."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from c2net.client import C2netError, Client
from c2net.clock import ManualClock
from c2net.network import center_to_dict
from tests.builders import center, node
from tests.fixtures.gateway import LiveGateway

CPU = center("cpu-west", (2, node(4, 16)), cpu=0.1, mem=0.01, role="west")
GPU = center("gpu-east", (1, node(16, 64, "A100:2")), cpu=0.2, mem=0.02, acc_prices={"A100": 20.0})


@pytest.fixture
def gw(manual_gateway: LiveGateway) -> LiveGateway:
    for c in (CPU, GPU):
        manual_gateway.agent(c.name).register(center_to_dict(c), {"test": True})
    return manual_gateway


@pytest.fixture
def cpu_agent(gw: LiveGateway) -> Client:
    return gw.agent("cpu-west")


def cycle(gw: LiveGateway) -> None:
    gw.app_state.loop.run_once()  # type: ignore[attr-defined]


def clock(gw: LiveGateway) -> ManualClock:
    c: ManualClock = gw.app_state.clock  # type: ignore[attr-defined]
    return c


def test_submit_returns_201_and_the_job(gw: LiveGateway) -> None:
    resp = httpx.post(
        f"{gw.url}/v1/jobs",
        json={"run": "echo hi", "resources": {"cpus": 1}},
        headers={"Authorization": f"Bearer {gw.client.token}"},
    )
    assert resp.status_code == 201
    job = resp.json()
    assert job["state"] == "PENDING" and job["spec"]["run"] == "echo hi"
    assert gw.client.job(job["id"])["id"] == job["id"]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"run": "x", "resources": {"cpus": -1}}, "resources.cpus: must be a number > 0"),
        ({"run": "x", "resources": {"accelerators": "A100:?"}}, "resources.accelerators"),
        ({"resources": {"cpus": 1}}, "run: required"),
        ({"run": "x", "extra": 1}, "extra: unknown key"),
        ([1, 2], "body"),
    ],
)
def test_bad_spec_is_422_with_field(gw: LiveGateway, body: object, needle: str) -> None:
    resp = httpx.post(
        f"{gw.url}/v1/jobs", json=body, headers={"Authorization": f"Bearer {gw.client.token}"}
    )
    assert resp.status_code == 422
    assert needle in resp.json()["detail"]
    assert gw.client.jobs() == []  # nothing half-created


def test_unknown_job_is_404(gw: LiveGateway) -> None:
    with pytest.raises(C2netError) as info:
        gw.client.job(12345)
    assert info.value.status == 404 and "12345" in info.value.message


def test_state_filter_and_bad_state(gw: LiveGateway) -> None:
    gw.client.submit({"run": "x"})
    gw.client.submit({"run": "x", "resources": {"cpus": 99}})
    cycle(gw)
    assert [j["state"] for j in gw.client.jobs("PENDING")] == ["PENDING"]
    assert len(gw.client.jobs("pending,assigned")) == 2
    with pytest.raises(C2netError, match="unknown state 'DONE'"):
        gw.client.jobs("DONE")


def test_pending_job_shows_reason_and_exclusions(gw: LiveGateway) -> None:
    job = gw.client.submit({"run": "x", "resources": {"accelerators": "H100:1"}})
    cycle(gw)
    job = gw.client.job(job["id"])
    assert job["reason"] == "no center offers H100"
    assert {e["center"] for e in job["exclusions"]} == {"cpu-west", "gpu-east"}


def test_quote_ranks_and_explains(gw: LiveGateway) -> None:
    q = gw.client.quote({"run": "x", "resources": {"cpus": 2, "memory": 4}, "runtime": 3})
    # cpu-west 2 x 0.1 + 4 x 0.01 = 0.24/h (x3 = 0.72); gpu-east 2 x 0.2 + 4 x 0.02 = 0.48/h
    assert [(o["center"], Decimal(o["price_per_hour"])) for o in q["offers"]] == [
        ("cpu-west", Decimal("0.24")),
        ("gpu-east", Decimal("0.48")),
    ]
    assert Decimal(q["offers"][0]["estimated_cost"]) == Decimal("0.72")
    assert q["quote_id"].startswith("q-")  # POST /v1/quotes: held by an order with it
    q = gw.client.quote({"run": "x", "resources": {"accelerators": "A100:1"}})
    assert [o["center"] for o in q["offers"]] == ["gpu-east"]
    assert q["excluded"][0]["center"] == "cpu-west"
    assert "A100" in q["excluded"][0]["detail"]


def test_centers_listing(gw: LiveGateway) -> None:
    cs = {c["name"]: c for c in gw.client.centers()}
    gpu = cs["gpu-east"]
    assert gpu["capacity"] == {"cpus": 16, "memory_gb": 64, "accelerators": {"A100": 2}}
    assert gpu["free"] == gpu["capacity"]
    assert gpu["health"] == "HEALTHY"
    assert gpu["prices"]["accelerator_hour"] == {"A100": 20.0}
    assert cs["cpu-west"]["nodes"] == 2 and cs["cpu-west"]["role"] == "west"
    clock(gw).advance(16)  # past the 15 s heartbeat timeout
    assert {c["health"] for c in gw.client.centers()} == {"UNHEALTHY"}


def test_agent_flow_bill_and_logs(gw: LiveGateway, cpu_agent: Client) -> None:
    job = gw.client.submit({"run": "echo hi", "resources": {"cpus": 2, "memory": 4}})
    cycle(gw)
    assert gw.client.job(job["id"])["center"] == "cpu-west"
    (a,) = cpu_agent.lease("cpu-west", [])["assignments"]
    assert a["spec"]["run"] == "echo hi" and a["price_per_hour"] == pytest.approx(0.24)
    cpu_agent.report("cpu-west", a["attempt_id"], "RUNNING", backend_id="local-1")
    used = {c["name"]: c for c in gw.client.centers()}["cpu-west"]["used"]
    assert used["cpus"] == 2
    cpu_agent.append_logs("cpu-west", a["attempt_id"], 0, "hi\n")
    clock(gw).advance(10)
    cpu_agent.report("cpu-west", a["attempt_id"], "SUCCEEDED", exit_code=0, wall_seconds=9.0)
    job = gw.client.job(job["id"])
    assert job["state"] == "SUCCEEDED" and job["exit_code"] == 0
    # 0.24/h x 9 s / 3600 = 0.0006
    assert job["cost"] == pytest.approx(0.0006)
    assert gw.client.logs(job["id"]) | {"state": "x"} == {
        "job_id": job["id"],
        "offset": 0,
        "next_offset": 3,
        "data": "hi\n",
        "state": "x",
    }
    bill = gw.client.bill()
    assert [line["cost"] for line in bill["lines"]] == [pytest.approx(0.0006)]
    assert bill["total"] == pytest.approx(sum(line["cost"] for line in bill["lines"]))
    assert bill["by_center"] == {"cpu-west": pytest.approx(0.0006)}
    with pytest.raises(C2netError) as info:  # a late report for an ended attempt
        cpu_agent.report("cpu-west", a["attempt_id"], "FAILED")
    assert info.value.status == 409


def test_cancel_running_job_reaches_agent(gw: LiveGateway, cpu_agent: Client) -> None:
    job = gw.client.submit({"run": "sleep 600"})
    cycle(gw)
    (a,) = cpu_agent.lease("cpu-west", [])["assignments"]
    cpu_agent.report("cpu-west", a["attempt_id"], "RUNNING")
    assert gw.client.cancel(job["id"])["cancel_requested"] is True
    assert cpu_agent.heartbeat("cpu-west", [a["attempt_id"]])["stop"] == [a["attempt_id"]]
    cpu_agent.report("cpu-west", a["attempt_id"], "CANCELLED", wall_seconds=1.0)
    assert gw.client.job(job["id"])["state"] == "CANCELLED"
    with pytest.raises(C2netError) as info:
        gw.client.cancel(job["id"])
    assert info.value.status == 409


def test_idempotency_key_makes_one_job(gw: LiveGateway) -> None:
    a = gw.client.submit({"run": "x"}, idempotency_key="same")
    b = gw.client.submit({"run": "x"}, idempotency_key="same")
    assert a["id"] == b["id"] and len(gw.client.jobs()) == 1


def test_heartbeat_from_unknown_center_is_404(gw: LiveGateway) -> None:
    with pytest.raises(C2netError) as info:
        gw.agent("nowhere").heartbeat("nowhere", [])
    assert info.value.status == 404


def test_register_bad_center_is_422(gw: LiveGateway) -> None:
    with pytest.raises(C2netError) as info:
        gw.agent("x").register({"name": "x", "pools": []}, {})
    assert info.value.status == 422 and "pools" in info.value.message


def test_register_never_reads_a_catalogue_the_agent_names(gw: LiveGateway) -> None:
    bad = {"name": "x", "catalog": {"source": "/etc/passwd", "region": "x"}}
    with pytest.raises(C2netError) as info:
        gw.agent("x").register(bad, {})
    assert info.value.status == 422 and "the agent reads it" in info.value.message


def test_openapi_docs(gw: LiveGateway) -> None:
    assert httpx.get(f"{gw.url}/docs").status_code == 200
    paths = httpx.get(f"{gw.url}/openapi.json").json()["paths"]
    for p in (
        "/v1/jobs",
        "/v1/jobs/{job_id}",
        "/v1/jobs/{job_id}/cancel",
        "/v1/jobs/{job_id}/logs",
        "/v1/quote",
        "/v1/centers",
        "/v1/bill",
        "/v1/agent/register",
        "/v1/agent/heartbeat",
        "/v1/agent/lease",
        "/v1/agent/report",
        "/v1/agent/logs",
    ):
        assert p in paths


def test_unreachable_gateway_is_status_0() -> None:
    with Client("http://127.0.0.1:9", timeout=1) as c, pytest.raises(C2netError) as info:
        c.jobs()
    assert info.value.status == 0 and "cannot reach" in info.value.message


def test_job_queued_inside_the_cluster_shows_the_clusters_reason(
    gw: LiveGateway, cpu_agent: Client
) -> None:
    job = gw.client.submit({"run": "x"})
    cycle(gw)
    (a,) = cpu_agent.lease("cpu-west", [])["assignments"]
    cpu_agent.report("cpu-west", a["attempt_id"], "ASSIGNED", backend_id="42", reason="Resources")
    job = gw.client.job(job["id"])
    assert job["state"] == "ASSIGNED"
    assert job["reason"] == "queued inside cpu-west: Resources"
    assert job["attempts"][0]["backend_id"] == "42"


def test_a_deadline_no_center_can_meet_is_told_at_submit(gw: LiveGateway) -> None:
    late = gw.client.submit({"run": "true", "runtime": 2, "deadline": 0.5})
    assert late["state"] == "PENDING"  # queued all the same, as sbatch --deadline does
    assert late["warning"].startswith("no center can finish it by its deadline: ")
    assert "cpu-west" in late["warning"]
    cycle(gw)
    assert gw.client.job(late["id"])["reason_code"] == "DEADLINE"
    fine = gw.client.submit({"run": "true", "runtime": 2, "deadline": 5})
    assert fine["warning"] is None
