"""GET /v1/pool/fairness and /v1/pool/history over real HTTP, and the scheduling loop's
utilization sampling: numbers worked out by hand in the comments, history read back by a second
gateway on the same database file."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import insert

from c2net.cli.launcher import free_port
from c2net.clock import ManualClock
from c2net.gateway import create_app
from c2net.gateway.leader import Solo
from c2net.gateway.loop import SchedulingLoop
from c2net.network import center_to_dict
from c2net.store import Store
from c2net.store.schema import pool_samples
from tests.builders import center, node
from tests.fixtures.gateway import ADMIN_TOKEN, LiveGateway, serve

# the pool: 16 + 16 = 32 cpus, 64 + 64 = 128 GB, 4 A100 (all at gpu-east)
CPU = center("cpu-west", (2, node(8, 32)), cpu=0.1, mem=0.01, role="west")
GPU = center("gpu-east", (1, node(16, 64, "A100:4")), cpu=0.2, mem=0.02, acc_prices={"A100": 20.0})


def get(gw: LiveGateway, path: str, token: str | None, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(f"{gw.url}{path}", headers=headers, params=params)


def loop_of(gw: LiveGateway) -> SchedulingLoop:
    loop: SchedulingLoop = gw.app_state.loop  # type: ignore[attr-defined]
    return loop


def clock_of(gw: LiveGateway) -> ManualClock:
    clock: ManualClock = gw.app_state.clock  # type: ignore[attr-defined]
    return clock


@pytest.fixture
def gw(manual_gateway: LiveGateway) -> LiveGateway:
    for c in (CPU, GPU):
        manual_gateway.agent(c.name).register(center_to_dict(c), {"test": True})
    return manual_gateway


# ---------------------------------------------------------------------------- fairness


def tenants(gw: LiveGateway) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    resp = get(gw, "/v1/pool/fairness", gw.admin.token)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    return body, {t["account"]: t for t in body["tenants"]}


def test_fairness_for_two_tenants_with_different_weights(gw: LiveGateway) -> None:
    alice = gw.client
    bob = gw.consumer("bob")
    gw.consumer("carol")  # a consumer with no work
    gw.admin.set_account_policy("bob", weight=2)
    gw.admin.set_account_policy("alice", max_cpus=12, max_accelerators=0)
    alice.submit({"run": "x", "resources": {"cpus": 8, "memory": 16}})
    bob.submit({"run": "x", "resources": {"cpus": 1, "memory": 4, "accelerators": "A100:1"}})
    bob.submit({"run": "x", "resources": {"cpus": 99}})  # fits no node: queued
    loop_of(gw).run_once()

    body, by = tenants(gw)
    assert body["pool"] == {"cpus": 32.0, "memory_gb": 128.0, "accelerators": {"A100": 4}}
    assert list(by) == ["alice", "bob", "carol"]  # consumers in account order
    a, b, c = by["alice"], by["bob"], by["carol"]
    assert (a["weight"], b["weight"], c["weight"]) == (1.0, 2.0, 1.0)
    assert a["quota"] == {"max_cpus": 12.0, "max_memory_gb": None, "max_accelerators": 0}
    assert b["quota"] == {"max_cpus": None, "max_memory_gb": None, "max_accelerators": None}
    assert a["held"] == {"cpus": 8.0, "memory_gb": 16.0, "accelerators": {}}
    assert b["held"] == {"cpus": 1.0, "memory_gb": 4.0, "accelerators": {"A100": 1}}
    assert (a["running"], a["queued"], b["running"], b["queued"]) == (1, 0, 1, 1)
    # alice: cpus 8/32 = 0.25, memory 16/128 = 0.125 -> cpus 0.25; weight 1 -> 0.25
    assert a["dominant_resource"] == "cpus"
    assert a["dominant_share"] == pytest.approx(0.25)
    assert a["weighted_share"] == pytest.approx(0.25)
    # bob: cpus 1/32, memory 4/128 = 1/32, A100 1/4 -> A100 0.25; weight 2 -> 0.125
    assert b["dominant_resource"] == "A100"
    assert b["dominant_share"] == pytest.approx(0.25)
    assert b["weighted_share"] == pytest.approx(0.125)
    # entitled: weight / (1 + 2) among the accounts with work; carol has none
    assert a["entitled_share"] == pytest.approx(1 / 3)
    assert b["entitled_share"] == pytest.approx(2 / 3)
    assert (c["entitled_share"], c["dominant_resource"], c["dominant_share"]) == (None, None, 0)
    # Jain over (0.25, 0.125): 0.375^2 / (2 x (0.0625 + 0.015625)) = 0.140625 / 0.15625 = 0.9
    assert body["active"] == 2
    assert body["jain_index"] == pytest.approx(0.9)


def test_fairness_counts_only_healthy_centers_in_the_pool(gw: LiveGateway) -> None:
    gw.consumer("bob")
    gw.client.submit({"run": "x", "resources": {"cpus": 8, "memory": 16}})  # at cpu-west
    loop_of(gw).run_once()
    clock_of(gw).advance(20)  # past the 15 s heartbeat timeout: both unhealthy
    gw.agent("cpu-west").heartbeat("cpu-west", [])  # cpu-west is back
    body, by = tenants(gw)
    assert body["pool"] == {"cpus": 16.0, "memory_gb": 64.0, "accelerators": {}}
    # cpus 8/16 = 0.5, memory 16/64 = 0.25
    assert (by["alice"]["dominant_resource"], by["alice"]["dominant_share"]) == ("cpus", 0.5)
    # one tenant with work is trivially fair; bob has none and is not counted
    assert (body["active"], body["jain_index"]) == (1, 1.0)
    assert by["bob"]["entitled_share"] is None and by["alice"]["entitled_share"] == 1.0


def test_only_operators_see_fairness(gw: LiveGateway) -> None:
    assert get(gw, "/v1/pool/fairness", None).status_code == 401
    provider = gw.admin.create_user("pat", "prov-cpu-west")["token"]
    for token in (gw.client.token, provider):
        resp = get(gw, "/v1/pool/fairness", token)
        assert resp.status_code == 403
        assert "allowed: operator" in resp.json()["detail"]


# ---------------------------------------------------------------------------- history


def test_the_loop_samples_every_interval_only_while_leading(gw: LiveGateway) -> None:
    loop, clock = loop_of(gw), clock_of(gw)
    loop.sample_seconds, loop.keep_seconds = 60.0, 150.0
    t0 = clock.now()

    def times() -> list[float]:
        return [
            s["at"] for s in get(gw, "/v1/pool/history", gw.client.token, since=0).json()["total"]
        ]

    assert loop.step() and times() == [t0]  # no sample yet: one now
    clock.advance(30)
    assert loop.step() and times() == [t0]  # the last is 30 s old, not 60
    clock.advance(30)
    assert loop.step() and times() == [t0, t0 + 60]

    class Follower(Solo):
        def is_leader(self) -> bool:
            return False

    loop.leadership = Follower()
    clock.advance(60)
    assert not loop.step() and times() == [t0, t0 + 60]  # followers do not sample
    loop.leadership = Solo()
    clock.advance(60)  # t0 + 180: samples before t0 + 180 - 150 = t0 + 30 are dropped
    assert loop.step() and times() == [t0 + 60, t0 + 180]


def test_history_per_center_and_total_as_each_caller_may_see(gw: LiveGateway) -> None:
    loop, clock = loop_of(gw), clock_of(gw)
    gw.client.submit({"run": "x", "resources": {"cpus": 2, "accelerators": "A100:3"}})
    loop.run_once()  # at gpu-east, the only A100s
    t0 = clock.now()
    assert loop.sample()
    body = get(gw, "/v1/pool/history", gw.client.token).json()  # since: an hour ago
    assert body["since"] == t0 - 3600 and body["sample_seconds"] == loop.sample_seconds
    same = dict(at=t0, cpus=16.0, memory_gb=64.0, healthy=True)
    assert body["centers"] == {
        "cpu-west": [
            dict(same, cpus_used=0.0, memory_gb_used=0.0, accelerators=0, accelerators_used=0)
        ],
        "gpu-east": [  # the job's memory: the spec's default, 1 GB
            dict(same, cpus_used=2.0, memory_gb_used=1.0, accelerators=4, accelerators_used=3)
        ],
    }
    assert body["total"] == [
        dict(
            at=t0,
            cpus=32.0,
            cpus_used=2.0,
            memory_gb=128.0,
            memory_gb_used=1.0,
            accelerators=4,
            accelerators_used=3,
            centers=2,
            healthy=2,
        )
    ]
    one = get(gw, "/v1/pool/history", gw.client.token, center="gpu-east").json()
    assert list(one["centers"]) == ["gpu-east"] and one["total"][0]["cpus"] == 16.0
    assert get(gw, "/v1/pool/history", gw.client.token, since=t0 + 1).json()["total"] == []
    # a provider sees its own center only, in the total too
    provider = gw.admin.create_user("pat", "prov-cpu-west")["token"]
    mine = get(gw, "/v1/pool/history", provider).json()
    assert list(mine["centers"]) == ["cpu-west"] and mine["total"][0]["cpus"] == 16.0
    assert get(gw, "/v1/pool/history", provider, center="gpu-east").status_code == 404
    assert get(gw, "/v1/pool/history", gw.client.token, center="nowhere").status_code == 404
    assert get(gw, "/v1/pool/history", None).status_code == 401


def test_samples_from_before_memory_was_sampled_say_so(gw: LiveGateway) -> None:
    t0 = clock_of(gw).now()
    assert loop_of(gw).sample()
    old = dict(at=t0 - 60, center="cpu-west", cpus=16.0, cpus_used=0.0, healthy=True)
    with gw.store.engine.begin() as conn:  # a row as migration 0004 left it: no memory
        conn.execute(insert(pool_samples).values(**old, accelerators=0, accelerators_used=0))
    body = get(gw, "/v1/pool/history", gw.client.token).json()
    before, now = body["total"]
    assert (before["memory_gb"], before["memory_gb_used"]) == (None, None)
    assert (now["memory_gb"], now["memory_gb_used"]) == (128.0, 0.0)


@contextmanager
def running(app: FastAPI) -> Iterator[str]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port()))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the gateway did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_history_survives_a_gateway_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first gateway's own loop samples (every 0.1 s here); a second gateway on the same
    SQLite file, with no loop, serves every sample the first one served."""
    monkeypatch.setenv("C2NET_POOL_SAMPLE_SECONDS", "0.1")
    db = f"sqlite:///{tmp_path / 'gateway.db'}"
    first = serve(Store(db), cycle_seconds=0.05)
    gw = next(first)
    try:
        for c in (CPU, GPU):
            gw.agent(c.name).register(center_to_dict(c), {})
        gw.client.submit({"run": "x", "resources": {"cpus": 3}})

        def history() -> dict[str, Any]:
            resp = get(gw, "/v1/pool/history", gw.client.token, since=0)
            assert resp.status_code == 200
            body: dict[str, Any] = resp.json()
            return body

        deadline = time.monotonic() + 30
        while not any(t["cpus_used"] == 3 for t in history()["total"]):  # the job is held
            assert time.monotonic() < deadline, "no sample shows the job's 3 cpus"
            time.sleep(0.05)
        before = history()
    finally:
        first.close()  # stops the gateway and its loop
    assert before["total"]
    app = create_app(Store(db), admin_token=ADMIN_TOKEN, run_loop=False)
    with running(app) as url:
        again = httpx.get(
            f"{url}/v1/pool/history",
            params={"since": 0},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        ).json()
    n = len(before["total"])
    assert again["total"][:n] == before["total"]  # the same samples, perhaps a few more
    for name, samples in before["centers"].items():
        assert again["centers"][name][: len(samples)] == samples
