"""A real network for the dashboard's tests: a gateway on loopback and one in-thread agent per
center of the built-in network (each with its own agent token), running jobs as local processes
(accelerators emulated). `client` is consumer alice's, `admin` the operator's. The gateway
samples the pool's utilization every half second (the history the pool page loads)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from c2net.agent import Agent
from c2net.agent.backends import LocalBackend
from c2net.client import Client
from c2net.gateway.loop import SchedulingLoop
from c2net.network import load_network, parse_center
from c2net.store import Store
from tests.fixtures.browser import browser, tab  # noqa: F401  (fixtures for this directory)
from tests.fixtures.gateway import LiveGateway, serve


@dataclass
class LiveNetwork:
    gateway: LiveGateway
    agents: list[Agent]

    @property
    def url(self) -> str:
        return self.gateway.url

    @property
    def client(self) -> Client:
        return self.gateway.client

    @property
    def admin(self) -> Client:
        return self.gateway.admin


def start_agents(gw: LiveGateway, work: Path, interval: float = 0.25) -> list[Agent]:
    agents = []
    for raw in load_network():
        c = parse_center(raw)
        backend = LocalBackend(work / c.name, c.pools, kill_grace=1.0)
        agent = Agent(gw.agent(c.name), c, backend, work / c.name, interval=interval)
        threading.Thread(target=agent.run, name=f"agent-{c.name}", daemon=True).start()
        agents.append(agent)
    deadline = time.monotonic() + 20
    while len(gw.client.centers()) < len(agents):
        assert time.monotonic() < deadline, "the agents did not register"
        time.sleep(0.05)
    return agents


@pytest.fixture(scope="package")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNetwork]:
    """The built-in eight-center network, live, shared by the dashboard's tests, over a
    database file as in production (SQLite in WAL mode, a connection per thread)."""
    root = tmp_path_factory.mktemp("network")
    for gw in serve(Store(f"sqlite:///{root / 'gateway.db'}"), cycle_seconds=0.25):
        loop: SchedulingLoop = gw.app_state.loop  # type: ignore[attr-defined]
        loop.sample_seconds = 0.5  # utilization history: a sample every half second, not minute
        agents = start_agents(gw, root / "agents")
        try:
            yield LiveNetwork(gw, agents)
        finally:
            for a in agents:
                a.stop()
