"""The agent against a real gateway over HTTP, running jobs with the local backend."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from c2net.agent import Agent
from c2net.agent.backends import LocalBackend
from c2net.client import Client
from c2net.model import Center, NodePool, Resources
from c2net.network import load_center
from tests.builders import center, node
from tests.fixtures.gateway import LiveGateway
from tests.procs import group_alive

CENTER = center("solo", (1, node(4, 8, "T4:2")), cpu=0.1, mem=0.01, acc_prices={"T4": 2.0})


class Running:
    def __init__(self, client: Client, c: Center, work: Path) -> None:
        self.client = client
        self.agent = Agent(
            client, c, LocalBackend(work, c.pools, kill_grace=1.0), work, interval=0.1
        )
        self.thread = threading.Thread(target=self.agent.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.agent.stop()
        self.thread.join(timeout=10)


@pytest.fixture
def agent(gateway: LiveGateway, tmp_path: Path) -> Iterator[Running]:
    running = Running(gateway.agent(CENTER.name), CENTER, tmp_path / "work")
    deadline = time.monotonic() + 10
    while not gateway.client.centers():
        assert time.monotonic() < deadline, "agent did not register"
        time.sleep(0.05)
    yield running
    running.stop()


def test_job_runs_and_output_comes_back(gateway: LiveGateway, agent: Running) -> None:
    job = gateway.client.submit(
        {"run": "echo hello; echo $CUDA_VISIBLE_DEVICES", "resources": {"accelerators": "T4:2"}}
    )
    done = gateway.client.wait(job["id"], timeout=20)
    assert done["state"] == "SUCCEEDED" and done["exit_code"] == 0
    assert gateway.client.logs(job["id"])["data"] == "hello\n0,1\n"
    (attempt,) = done["attempts"]
    assert attempt["backend_id"] == f"attempt-{attempt['id']}"
    # cost = wall seconds x (1 cpu x 0.1 + 1 GB x 0.01 + 2 T4 x 2.0 = 4.11/h)
    assert attempt["price_per_hour"] == pytest.approx(4.11)
    assert done["cost"] == pytest.approx(done["wall_seconds"] * 4.11 / 3600, abs=1e-6)


def test_failure_exit_code(gateway: LiveGateway, agent: Running) -> None:
    job = gateway.client.submit({"run": "echo bad >&2; exit 42"})
    done = gateway.client.wait(job["id"], timeout=20)
    assert (done["state"], done["exit_code"]) == ("FAILED", 42)
    assert "bad" in gateway.client.logs(job["id"])["data"]


def test_follow_streams_while_running(gateway: LiveGateway, agent: Running) -> None:
    job = gateway.client.submit({"run": "for i in 1 2 3; do echo line$i; sleep 0.3; done"})
    text = "".join(gateway.client.follow_logs(job["id"], poll=0.1))
    assert text == "line1\nline2\nline3\n"


def test_cancel_stops_a_running_job(gateway: LiveGateway, agent: Running) -> None:
    job = gateway.client.submit({"run": "echo started; sleep 600"})
    deadline = time.monotonic() + 10
    while gateway.client.job(job["id"])["state"] != "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    gateway.client.cancel(job["id"])
    done = gateway.client.wait(job["id"], timeout=10)
    assert done["state"] == "CANCELLED"
    assert done["attempts"][0]["state"] == "CANCELLED"


def test_agent_restart_reattaches(gateway: LiveGateway, agent: Running, tmp_path: Path) -> None:
    job = gateway.client.submit({"run": "sleep 1.5; echo survived"})
    deadline = time.monotonic() + 10
    while gateway.client.job(job["id"])["state"] != "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    agent.stop()
    again = Running(agent.client, CENTER, tmp_path / "work")  # same work dir: same state file
    try:
        done = gateway.client.wait(job["id"], timeout=20)
        assert done["state"] == "SUCCEEDED"
        assert len(done["attempts"]) == 1  # re-attached, not re-run
        assert gateway.client.logs(job["id"])["data"] == "survived\n"
    finally:
        again.stop()


def test_agent_cut_off_past_its_lease_stops_its_copies(tmp_path: Path) -> None:
    """The gateway vanishes: after one lease (2 s) without renewal the job is LOST there and
    will run elsewhere, so the agent must stop its own copy."""
    from c2net.store import Store
    from tests.fixtures.gateway import serve

    servers = serve(Store("sqlite://", lease_seconds=2, heartbeat_timeout=1), cycle_seconds=0.2)
    gw = next(servers)
    running = Running(gw.agent(CENTER.name), CENTER, tmp_path / "work")
    try:
        job = gw.client.submit({"run": "sleep 600"})
        deadline = time.monotonic() + 10
        while gw.client.job(job["id"])["state"] != "RUNNING":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        (held,) = running.agent.held.values()
        pgid = int((tmp_path / "work" / held.backend_id / "pid").read_text())
        gw.server.should_exit = True  # the gateway is gone; the agent cannot renew
        deadline = time.monotonic() + 30
        while group_alive(pgid):
            assert time.monotonic() < deadline, "the agent kept running a job it lost"
            time.sleep(0.2)
        assert held.fenced
    finally:
        running.stop()
        next(servers, None)


def test_spec_time_limit_reaches_the_backend(gateway: LiveGateway, agent: Running) -> None:
    # 0.0003 h = 1.08 s: the local backend's `timeout` stops the sleep and exits 124
    job = gateway.client.submit({"run": "sleep 600", "time_limit": 0.0003})
    done = gateway.client.wait(job["id"], timeout=30)
    assert (done["state"], done["exit_code"]) == ("FAILED", 124)
    assert done["reason"].startswith("TIMEOUT: time limit 1.080s")


def test_on_demand_work_preempts_a_spot_job(gateway: LiveGateway, agent: Running) -> None:
    """The scheduler's preemption reaches the process: SIGTERM, the job's own handler runs in
    the grace period, the attempt ends billed as preempted and the job goes back to the queue,
    while the on-demand job takes the devices."""
    c = gateway.client
    spot = c.submit(
        {
            "run": "trap 'echo got TERM; exit 143' TERM; echo started; "
            "for i in $(seq 600); do sleep 0.1; done",
            "resources": {"accelerators": "T4:2"},
            "spot": True,
        }
    )
    deadline = time.monotonic() + 20
    while "started" not in c.logs(spot["id"])["data"]:
        assert time.monotonic() < deadline, c.job(spot["id"])
        time.sleep(0.1)
    urgent = c.submit({"run": "echo urgent", "resources": {"accelerators": "T4:2"}})
    assert c.wait(urgent["id"], timeout=30)["state"] == "SUCCEEDED"
    job = c.job(spot["id"])
    first = job["attempts"][0]
    assert first["state"] == "LOST"
    assert first["reason"] == f"preempted (spot) to make room for job {urgent['id']}"
    assert first["billed"] and first["cost"] > 0  # the consumer's risk: billed for what ran
    assert "got TERM" in c.logs(spot["id"])["data"]
    # back in the queue, then placed again once the devices are free
    assert job["state"] in ("PENDING", "ASSIGNED", "RUNNING")
    deadline = time.monotonic() + 20
    while len(c.job(spot["id"])["attempts"]) < 2:
        assert time.monotonic() < deadline, c.job(spot["id"])
        time.sleep(0.1)
    c.cancel(spot["id"])


def test_a_cloud_region_published_from_a_catalogue_runs_work_at_its_instance_price(
    gateway: LiveGateway, tmp_path: Path
) -> None:
    """A provider's center file names a catalogue region instead of pools: the agent registers
    it (one elastic pool per instance type, priced per whole VM), the scheduler places work on
    it, and the attempt is billed at the instance's price per second."""
    path = tmp_path / "ali.yaml"
    path.write_text(
        "name: ali-beijing\nemulated: true\ncatalog: {source: alicloud, region: cn-beijing}\n"
    )
    cloud, _ = load_center(path)
    running = Running(gateway.agent(cloud.name), cloud, tmp_path / "work")
    try:
        c = gateway.client
        job = c.submit(
            {"run": "echo on node $C2NET_NODE; sleep 1", "resources": {"accelerators": "T4:1"}}
        )
        done = c.wait(job["id"], timeout=30)
        assert done["state"] == "SUCCEEDED", done
        (attempt,) = done["attempts"]
        t4 = min(
            (p for p in cloud.pools if p.shape.accelerators == {"T4": 1}),
            key=lambda p: p.price or 0.0,
        )
        assert attempt["center"] == "ali-beijing" and t4.price is not None
        assert attempt["price_per_hour"] == pytest.approx(t4.price)
        assert attempt["cost"] == pytest.approx(t4.price * attempt["wall_seconds"] / 3600, abs=1e-5)
        assert f"on node {len(cloud.pools)}" in c.logs(job["id"])["data"]  # a fresh VM
        (listed,) = c.centers()
        assert listed["free"] == listed["capacity"]  # a fresh VM of each type, always
        assert listed["elastic"] and {p["name"]: p["price"] for p in listed["pools"]}[
            t4.name
        ] == pytest.approx(t4.price)
    finally:
        running.stop()


class _Discovering(LocalBackend):
    """A cluster that reports its own node pools (as Slurm and Ray agents do)."""

    def capacity(self) -> list[NodePool] | None:
        return [NodePool("found", 3, Resources(64, 256))]


@pytest.mark.parametrize("priced", [False, True])
def test_discovered_pools_replace_the_files_unless_it_prices_whole_nodes(
    gateway: LiveGateway, tmp_path: Path, priced: bool
) -> None:
    pools = (NodePool("vm.big", 1, Resources(8, 32), price=4.0 if priced else None),)
    c = replace(CENTER, name="found", pools=pools)
    agent = Agent(gateway.agent(c.name), c, _Discovering(tmp_path, c.pools), tmp_path, interval=0.1)
    agent.register()
    (listed,) = gateway.client.centers()
    if priced:  # the discovered pools have no price: the file's offer stands, never a free node
        assert [(p["name"], p["price"]) for p in listed["pools"]] == [("vm.big", 4.0)]
    else:
        assert [(p["name"], p["count"]) for p in listed["pools"]] == [("found", 3)]
