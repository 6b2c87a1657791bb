"""The CLI in-process (Typer's runner) against a real gateway on loopback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from c2net.cli import app
from c2net.cli.config import DEFAULT_GATEWAY, resolve_gateway
from c2net.cli.launcher import Network
from c2net.network import center_to_dict, parse_center
from tests.builders import center, node
from tests.fixtures.gateway import LiveGateway
from tests.market.test_catalog import HEADER

runner = CliRunner()


@pytest.fixture
def gw(manual_gateway: LiveGateway, monkeypatch: pytest.MonkeyPatch) -> LiveGateway:
    manual_gateway.agent("c1").register(center_to_dict(center("c1", (1, node(8, 32)))), {})
    monkeypatch.setenv("C2NET_GATEWAY", manual_gateway.url)
    monkeypatch.setenv("C2NET_TOKEN", manual_gateway.client.token or "")
    return manual_gateway


def test_gateway_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("C2NET_HOME", str(tmp_path))
    monkeypatch.delenv("C2NET_GATEWAY", raising=False)
    assert resolve_gateway(None) == DEFAULT_GATEWAY
    Network("http://127.0.0.1:1111", str(tmp_path), {}).save(tmp_path / "up.json")
    assert resolve_gateway(None) == "http://127.0.0.1:1111"  # recorded by `c2net up`
    monkeypatch.setenv("C2NET_GATEWAY", "http://127.0.0.1:2222")
    assert resolve_gateway(None) == "http://127.0.0.1:2222"  # the environment wins over that
    assert resolve_gateway("http://x:1") == "http://x:1"  # and the flag over everything


def test_submit_flags_build_the_spec(gw: LiveGateway) -> None:
    out = runner.invoke(
        app,
        [
            "submit",
            "--json",
            "--cpus",
            "2",
            "--memory",
            "4",
            "--gpus",
            "A100:1",
            "--region",
            "east",
            "--max-price",
            "50",
            "--name",
            "t",
            "--env",
            "A=1",
            "--",
            "python",
            "train.py",
            "--lr",
            "0.1",
        ],
    )
    assert out.exit_code == 0, out.output
    spec = json.loads(out.stdout)["spec"]
    assert spec["run"] == "python train.py --lr 0.1"
    assert spec["resources"] == {"cpus": 2.0, "memory": 4.0, "accelerators": {"A100": 1}}
    assert (spec["regions"], spec["max_price"], spec["name"], spec["envs"]) == (
        ["east"],
        50.0,
        "t",
        {"A": "1"},
    )


def test_submit_spec_file_with_flag_override(gw: LiveGateway, tmp_path: Path) -> None:
    f = tmp_path / "job.yaml"
    f.write_text("name: from-file\nrun: echo a\nresources: {cpus: 4}\n")
    out = runner.invoke(app, ["submit", str(f), "--cpus", "1", "--json"])
    assert out.exit_code == 0, out.output
    spec = json.loads(out.stdout)["spec"]
    assert (spec["name"], spec["run"], spec["resources"]["cpus"]) == ("from-file", "echo a", 1.0)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["submit", "--cpus", "-1", "--", "true"], "resources.cpus"),
        (
            [
                "submit",
                "--",
            ],
            "run: required",
        ),
        (["submit", "missing.yaml"], "not found"),
        (["submit", "--env", "NOEQUALS", "--", "true"], "NAME=VALUE"),
    ],
)
def test_bad_input_exit_2_one_line(gw: LiveGateway, args: list[str], needle: str) -> None:
    out = runner.invoke(app, args)
    assert out.exit_code == 2
    assert needle in out.output
    assert len(out.output.strip().splitlines()) == 1


def test_unknown_job_exit_1(gw: LiveGateway) -> None:
    out = runner.invoke(app, ["status", "999"])
    assert out.exit_code == 1 and "job 999 not found" in out.output


def test_read_commands_take_json(gw: LiveGateway) -> None:
    runner.invoke(app, ["submit", "--", "true"])
    for args in (["jobs"], ["status", "1"], ["centers"], ["bill"], ["quote", "--cpus", "1"]):
        out = runner.invoke(app, [*args, "--json"])
        assert out.exit_code == 0, (args, out.output)
        json.loads(out.stdout)
        plain = runner.invoke(app, args)
        assert plain.exit_code == 0 and plain.stdout.strip()


def test_unreachable_gateway_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("C2NET_GATEWAY", "http://127.0.0.1:9")
    out = runner.invoke(app, ["jobs"])
    assert out.exit_code == 1 and "cannot reach the gateway" in out.output


def test_down_without_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("C2NET_HOME", str(tmp_path))
    out = runner.invoke(app, ["down"])
    assert out.exit_code == 1 and "no network is up" in out.output


def test_centers_show_a_cloud_region_on_demand_priced_per_node(gw: LiveGateway) -> None:
    cloud = parse_center({"name": "ali", "catalog": {"source": "alicloud", "region": "cn-beijing"}})
    gw.agent("ali").register(center_to_dict(cloud), {})
    out = runner.invoke(app, ["centers"], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    (row,) = [line for line in out.output.splitlines() if line.strip().startswith("ali")]
    prices = sorted(p.price or 0.0 for p in cloud.pools)
    assert row.count("on demand") == 2  # nodes and free room: the region grows with demand
    assert f"per node {prices[0]:.4g}-{prices[-1]:.4g} ({len(prices)} types)" in row


def test_quote_ranks_catalogue_files_with_no_gateway(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("C2NET_GATEWAY", "http://127.0.0.1:9")  # nothing listens there
    mine = tmp_path / "mine.csv"
    mine.write_text(
        HEADER
        + "\nvm.a10,A10,1,8,32,1.20,,r1\nvm.t4,T4,1,8,32,0.50,,r1\nvm.a10b,A10,1,8,32,0.90,,r2\n"
    )
    out = runner.invoke(
        app, ["quote", "--catalog", str(mine), "--gpus", "A10:1", "--runtime", "2", "--json"]
    )
    assert out.exit_code == 0, out.output
    ranked = json.loads(out.stdout)
    assert [(o["instance_type"], o["region"]) for o in ranked["offers"]] == [
        ("vm.a10b", "r2"),
        ("vm.a10", "r1"),
    ]
    assert ranked["offers"][0]["estimated_cost"] == pytest.approx(0.90 * 2)
    missing = runner.invoke(app, ["quote", "--catalog", str(tmp_path / "none.csv")])
    assert missing.exit_code == 2 and len(missing.output.strip().splitlines()) == 1


def test_explain_names_each_centers_verdict(gw: LiveGateway) -> None:
    gpu = center("g1", (1, node(8, 32, "A100:1")), acc_prices={"A100": 9.0})
    gw.agent("g1").register(center_to_dict(gpu), {})
    job = json.loads(runner.invoke(app, ["submit", "--json", "--gpus", "A100:1", "--", "x"]).stdout)
    out = runner.invoke(app, ["explain", str(job["id"]), "--json"])
    assert out.exit_code == 0, out.output
    rows = {r["center"]: r for r in json.loads(out.stdout)["centers"]}
    assert rows["c1"]["code"] == "NO_ACCELERATOR" and rows["c1"]["rank"] is None
    assert rows["g1"]["code"] is None and rows["g1"]["rank"] == 1
    text = runner.invoke(app, ["explain", str(job["id"])], env={"COLUMNS": "200"}).output
    assert "rank 1" in text and "A100" in text
