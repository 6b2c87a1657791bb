"""`c2net data` and `c2net account set|list` in-process against a real gateway, and
`c2net status` showing why a job waits and its reason code."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from c2net.cli import app
from c2net.network import center_to_dict
from c2net.scheduler import schedule
from tests.builders import center, node
from tests.fixtures.gateway import LiveGateway

runner = CliRunner()


@pytest.fixture
def gw(manual_gateway: LiveGateway, monkeypatch: pytest.MonkeyPatch) -> LiveGateway:
    c1 = center("c1", (1, node(8, 32)), hub="ningxia")
    manual_gateway.agent("c1").register(center_to_dict(c1), {})
    monkeypatch.setenv("C2NET_GATEWAY", manual_gateway.url)
    monkeypatch.setenv("C2NET_TOKEN", manual_gateway.client.token or "")
    return manual_gateway


def test_data_register_list_rm(gw: LiveGateway) -> None:
    out = runner.invoke(app, ["data", "register", "scans", "--center", "c1", "--size-gb", "42"])
    assert out.exit_code == 0, out.output
    assert "dataset scans (42 GB) registered at c1" in out.output
    listed = runner.invoke(app, ["data", "list", "--json"])
    assert [(d["name"], d["size_gb"]) for d in json.loads(listed.output)] == [("scans", 42.0)]
    assert runner.invoke(app, ["data", "rm", "scans"]).exit_code == 0
    assert gw.store.datasets() == []


def test_data_register_bad_input_is_one_line(gw: LiveGateway) -> None:
    out = runner.invoke(app, ["data", "register", "x", "--center", "nowhere", "--size-gb", "1"])
    assert out.exit_code == 1
    assert out.output.strip().splitlines() == [
        "error: center nowhere is not registered (see `c2net centers`)"
    ]
    out = runner.invoke(app, ["data", "register", "x", "--center", "c1", "--size-gb", "0"])
    assert out.exit_code == 2 and "size_gb" in out.output


def test_account_set_and_list(gw: LiveGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("C2NET_TOKEN", gw.admin.token or "")
    out = runner.invoke(
        app, ["account", "set", "alice", "--weight", "2", "--max-accelerators", "8"]
    )
    assert out.exit_code == 0, out.output
    assert "weight 2.0" in out.output and "max_accelerators=8" in out.output
    assert gw.store.account("alice").max_accelerators == 8
    out = runner.invoke(app, ["account", "set", "alice", "--max-accelerators", "none"])
    assert out.exit_code == 0 and gw.store.account("alice").max_accelerators is None
    out = runner.invoke(app, ["account", "set", "alice", "--max-cpus", "lots"])
    assert out.exit_code == 2 and "--max-cpus: expected a number or `none`" in out.output
    assert runner.invoke(app, ["account", "set", "alice"]).exit_code == 2
    rows = json.loads(runner.invoke(app, ["account", "list", "--json"]).output)
    assert {r["name"]: r["weight"] for r in rows}["alice"] == 2.0


def test_status_shows_the_reason_code(gw: LiveGateway) -> None:
    job = gw.client.submit({"run": "true", "resources": {"accelerators": "H100:1"}})
    snap, queue = gw.store.snapshot(1.0)
    gw.store.commit(schedule(snap, queue), 1.0)
    out = runner.invoke(app, ["status", str(job["id"])])
    assert out.exit_code == 0, out.output
    assert "reason [NO_ACCELERATOR]: no center offers H100" in out.output
