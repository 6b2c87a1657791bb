"""End to end: a cloud region joins through `c2net up` from a catalogue file beside the network
file; the CLI's jobs run there at the instance's price, billed per second."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from c2net.market.clouds import USD_RATE
from tests.e2e.test_network import Cli
from tests.market.test_catalog import HEADER

pytestmark = pytest.mark.slow


def test_a_catalogue_region_runs_the_clis_jobs_per_whole_vm(tmp_path: Path) -> None:
    (tmp_path / "hall.csv").write_text(
        HEADER + "\nvm.t4,T4,1,4,16,0.50,0.20,hall-1\nvm.t4x2,T4,2,8,32,0.90,,hall-1\n"
    )
    network = tmp_path / "net.yaml"
    cloud = {"source": "hall.csv", "region": "hall-1"}
    center = {"name": "hall", "hub": "ningxia", "emulated": True, "catalog": cloud}
    network.write_text(yaml.safe_dump({"centers": [center]}))
    cli = Cli(tmp_path / "home")
    up = cli("up", "--network", str(network), "--detach", timeout=90)
    assert up.returncode == 0, up.stdout + up.stderr
    try:
        (listed,) = cli.json("centers")  # type: ignore[misc]
        assert listed["elastic"] and listed["health"] == "HEALTHY"
        assert "on demand" in cli("centers").stdout
        first = cli.submit("--gpus", "T4:1", "--", "echo node $C2NET_NODE")
        second = cli.submit("--gpus", "T4:1", "--", "echo node $C2NET_NODE")
        for job_id in (first, second):
            assert cli("wait", str(job_id), "--timeout", "60").returncode == 0
        jobs = [cli.json("status", str(j)) for j in (first, second)]
        for job in jobs:
            assert isinstance(job, dict)
            (attempt,) = job["attempts"]
            # the cheaper VM that holds one T4, at its catalogue price x the rate, per second
            assert attempt["price_per_hour"] == pytest.approx(0.50 * USD_RATE)
            assert attempt["cost"] == pytest.approx(
                0.50 * USD_RATE * attempt["wall_seconds"] / 3600, abs=1e-5
            )
        for j in (first, second):  # a fresh VM, numbered after the two listed ones
            assert int(cli("logs", str(j)).stdout.split()[1]) >= 2
    finally:
        assert cli("down").returncode == 0
