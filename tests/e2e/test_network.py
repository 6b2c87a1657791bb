"""End to end: `c2net up --detach` starts a gateway and three agents as processes on loopback;
every step goes through the CLI as a user would type it."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest

from tests.procs import group_alive

pytestmark = pytest.mark.slow

NETWORK = Path(__file__).parent.parent / "data" / "network-small.yaml"


class Cli:
    def __init__(self, home: Path) -> None:
        self.env = {**os.environ, "C2NET_HOME": str(home)}
        self.env.pop("C2NET_GATEWAY", None)

    def __call__(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "c2net", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def json(self, *args: str) -> object:
        out = self(args[0], "--json", *args[1:])  # before any `--`
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    def submit(self, *args: str) -> int:
        job = self.json("submit", *args)
        assert isinstance(job, dict)
        return int(job["id"])


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def cli(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """The same network on each database: SQLite (embedded) and PostgreSQL (production)."""
    c = Cli(tmp_path_factory.mktemp("home"))
    db: tuple[str, ...] = ()
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres_server")
        db = ("--db", server.create_database("e2e_network"))
    up = c("up", "--network", str(NETWORK), "--detach", *db, timeout=90)
    assert up.returncode == 0, up.stdout + up.stderr
    try:
        yield c
    finally:
        down = c("down")
        assert down.returncode == 0, down.stderr


def test_centers_all_healthy(cli: Cli) -> None:
    centers = cli.json("centers")
    assert isinstance(centers, list)
    assert {c["name"]: c["health"] for c in centers} == {
        "east-dear": "HEALTHY",
        "west-cheap": "HEALTHY",
        "west-a100": "HEALTHY",
    }
    assert all(c["emulated"] for c in centers)
    listing = cli("centers")
    assert "emulated" in listing.stdout and listing.returncode == 0


def test_echo_runs_at_cheapest_center_and_costs_wall_times_price(cli: Cli) -> None:
    job_id = cli.submit("--cpus", "1", "--", "echo", "hello")
    assert cli("wait", str(job_id)).returncode == 0
    assert cli("logs", str(job_id)).stdout == "hello\n"
    job = cli.json("status", str(job_id))
    assert isinstance(job, dict)
    # 1 cpu and the default 1 GB: west-cheap 0.05 + 0.005 = 0.055/h is the cheapest with room
    assert job["center"] == "west-cheap"
    (attempt,) = job["attempts"]
    assert attempt["price_per_hour"] == pytest.approx(0.055)
    assert job["cost"] == pytest.approx(attempt["wall_seconds"] * 0.055 / 3600, abs=1e-6)


def test_gpu_job_lands_on_cheapest_a100(cli: Cli) -> None:
    job_id = cli.submit("--gpus", "A100:1", "--", "echo $CUDA_VISIBLE_DEVICES")
    assert cli("wait", str(job_id)).returncode == 0
    job = cli.json("status", str(job_id))
    assert isinstance(job, dict)
    # west-a100: 0.1 + 0.01 + 25 = 25.11/h < east-dear 0.2 + 0.02 + 30 = 30.22/h
    assert job["center"] == "west-a100"
    assert cli("logs", str(job_id)).stdout == "0\n"


def test_east_only_job_stays_east(cli: Cli) -> None:
    job_id = cli.submit("--region", "east", "--", "true")
    assert cli("wait", str(job_id)).returncode == 0
    job = cli.json("status", str(job_id))
    assert isinstance(job, dict) and job["center"] == "east-dear"


def test_job_nobody_can_run_stays_pending_with_reason(cli: Cli) -> None:
    job_id = cli.submit("--gpus", "H100:1", "--", "true")
    deadline = time.monotonic() + 15
    while True:
        job = cli.json("status", str(job_id))
        assert isinstance(job, dict)
        if job["reason"].startswith("no center"):
            break
        assert time.monotonic() < deadline, job["reason"]
        time.sleep(0.3)
    assert job["state"] == "PENDING"
    assert job["reason"] == "no center offers H100"
    assert "no center offers H100" in cli("status", str(job_id)).stdout
    cli("cancel", str(job_id))


def test_cancel_kills_the_running_sleep(cli: Cli) -> None:
    job_id = cli.submit("--", "sleep 600")
    deadline = time.monotonic() + 30
    while (job := cli.json("status", str(job_id)))["state"] != "RUNNING":  # type: ignore[index]
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert isinstance(job, dict)
    attempt = job["attempts"][0]
    pid_file = Path(cli.env["C2NET_HOME"]) / "network" / "work" / attempt["center"]
    pgid = int((pid_file / f"attempt-{attempt['id']}" / "pid").read_text())
    assert group_alive(pgid)
    assert cli("cancel", str(job_id)).returncode == 0
    waited = cli("wait", str(job_id), "--timeout", "60")
    assert waited.returncode != 0  # a cancelled job's wait is not a success
    job = cli.json("status", str(job_id))
    assert isinstance(job, dict) and job["state"] == "CANCELLED"
    assert not group_alive(pgid)  # the sleep and its shell are gone


def test_failed_job_wait_exit_code(cli: Cli) -> None:
    job_id = cli.submit("--", "exit 3")
    assert cli("wait", str(job_id)).returncode == 3


def test_bad_input_one_line_nonzero(cli: Cli, tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("run: echo hi\nresources:\n  cpus: -1\n")
    out = cli("submit", str(spec))
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert "resources.cpus" in out.stderr and "> 0" in out.stderr
    out = cli("submit", "--gpus", "A100:lots", "--", "true")
    assert out.returncode == 2 and "resources.accelerators" in out.stderr


def test_bill_adds_up(cli: Cli) -> None:
    from decimal import Decimal

    bill = cli.json("bill")
    jobs = cli.json("jobs")
    assert isinstance(bill, dict) and isinstance(jobs, list)
    # the statement: each line is price x seconds to the fen, and the lines make the total
    assert Decimal(bill["total"]) == sum(Decimal(x["amount"]) for x in bill["lines"])
    for x in bill["lines"]:
        if x["kind"] == "usage":
            exact = Decimal(x["price_per_hour"]) * Decimal(x["seconds"]) / 3600
            assert abs(Decimal(x["amount"]) - exact) <= Decimal("0.005")  # to the fen
    # and it is what the jobs were charged
    charged = sum(Decimal(str(j["charged"])) for j in jobs if j["charged"] is not None)
    assert Decimal(bill["total"]) == charged.quantize(Decimal("0.01"))
    assert "Bill" in cli("bill").stdout


def test_quote_cli(cli: Cli) -> None:
    q = cli.json("quote", "--gpus", "A100:1", "--runtime", "2")
    assert isinstance(q, dict)
    assert [o["center"] for o in q["offers"]] == ["west-a100", "east-dear"]
    # west-a100 0.1 + 0.01 + 25 = 25.11/h for 2 h
    assert float(q["offers"][0]["estimated_cost"]) == pytest.approx(2 * 25.11)
    assert q["quote_id"]  # held for `c2net submit --quote ID`
    # the network file lists tencentcloud: its list prices come beside, x 7.0 CNY per USD
    listed = {
        (r["InstanceType"], r["Region"]): float(r["Price"])
        for r in csv.DictReader((files("c2net") / "data" / "catalogs" / "tencentcloud.csv").open())
    }
    first = q["clouds"][0]
    assert first["cloud"] == "tencentcloud"
    usd = listed[(first["instance_type"], first["region"])]
    assert first["price_per_hour"] == pytest.approx(usd * 7.0, abs=1e-4)
    assert "Clouds at catalogue list prices" in cli("quote", "--gpus", "A100:1").stdout
