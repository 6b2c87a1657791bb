"""Egress over real HTTP: a job whose input is held at one center and that runs at another pays
for the data moved, once per attempt, at the sending center's egress price; the sending
center's provider is paid for it; a lost attempt's egress is not billed.

`data-east` holds dataset `corpus` (12.5 GB) and sells egress at ¥0.40/GB; its nodes are too
small for the job (2 cpus), which runs at `cpu-west`: 2 x 1.2 + 4 x 0.1 = ¥2.8/h flat. The
platform fee is 10%.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
import typer
from typer.testing import CliRunner

from c2net.cli import statements as statements_cli
from c2net.cli.money import MoneyClient
from c2net.client import Client
from c2net.clock import ManualClock
from c2net.network import center_to_dict
from c2net.store import Store
from tests.builders import center, node
from tests.fixtures.gateway import LiveGateway, serve

DATA = center("data-east", (2, node(1, 4)), cpu=2.0, mem=0.2)
CPU = center("cpu-west", (2, node(8, 32)), cpu=1.2, mem=0.1, role="west")
JOB = {
    "run": "sleep 3600",
    "resources": {"cpus": 2, "memory": 4},
    "runtime": 1,
    "inputs": ["corpus"],
}
GB, PER_GB = Decimal("12.5"), Decimal("0.40")  # 12.5 x 0.40 = ¥5.00


@pytest.fixture
def gw() -> Iterator[LiveGateway]:
    store = Store("sqlite://", heartbeat_timeout=15, lease_seconds=30)
    yield from serve(store, ManualClock(), run_loop=False)


@pytest.fixture
def west(gw: LiveGateway) -> Client:
    """cpu-west's agent (provider `pb`); data-east (provider `pa`) holds the data."""
    gw.agent("data-east", "pa").register(center_to_dict(DATA), {})
    a = gw.agent("cpu-west", "pb")
    a.register(center_to_dict(CPU), {})
    admin = MoneyClient(gw.url, gw.admin.token)
    admin.tariff("data-east", {"egress_gb": str(PER_GB)})
    admin.market_settings(fee_rate=Decimal("0.10"))
    admin.move_money("topups", "alice", Decimal(100))
    now = gw.app_state.clock.now()  # type: ignore[attr-defined]
    gw.store.register_dataset("corpus", gw.store.account("alice").id, "data-east", 12.5, now)
    return a


@pytest.fixture
def alice(gw: LiveGateway, west: Client) -> MoneyClient:
    return MoneyClient(gw.url, gw.client.token)


def _place(gw: LiveGateway, west: Client, job_id: int) -> int:
    gw.app_state.loop.run_once()  # type: ignore[attr-defined]
    (a,) = west.lease("cpu-west", [])["assignments"]
    assert a["job_id"] == job_id
    west.report("cpu-west", a["attempt_id"], "RUNNING")
    return int(a["attempt_id"])


def _clock(gw: LiveGateway) -> ManualClock:
    c: ManualClock = gw.app_state.clock  # type: ignore[attr-defined]
    return c


def test_quote_includes_the_egress_of_data_held_elsewhere(alice: MoneyClient) -> None:
    (offer,) = alice.quote(JOB)["offers"]  # data-east cannot run it
    assert offer["center"] == "cpu-west"
    (line,) = offer["egress"]
    assert (line["dataset"], line["source"]) == ("corpus", "data-east")
    assert (Decimal(line["gb"]), Decimal(line["price_per_gb"])) == (GB, PER_GB)
    # 2.8 x 1 h = 2.80 compute + 12.5 x 0.40 = 5.00 egress
    assert Decimal(offer["egress_cost"]) == Decimal("5.00")
    assert Decimal(offer["estimated_cost"]) == Decimal("7.80")


def test_input_moved_to_another_center_is_one_egress_line(
    gw: LiveGateway, west: Client, alice: MoneyClient
) -> None:
    job = alice.order(JOB)
    attempt = _place(gw, west, job["id"])
    _clock(gw).advance(3600)
    west.report("cpu-west", attempt, "SUCCEEDED", exit_code=0, wall_seconds=3600)

    bill = alice.bill_statement()
    egress = [x for x in bill["lines"] if x["kind"] == "egress"]
    (line,) = egress  # one line for the attempt: exactly GB x price per GB
    assert (Decimal(line["gb"]), Decimal(line["price_per_gb"])) == (GB, PER_GB)
    assert Decimal(line["amount"]) == GB * PER_GB == Decimal("5.00")
    assert line["center"] == "cpu-west" and "corpus from data-east" in line["note"]
    # 2.80 usage + 5.00 egress = 7.80; 100 - 7.80 = 92.20
    assert Decimal(bill["total"]) == Decimal("7.80")
    assert Decimal(alice.balance()["balance"]) == Decimal("92.20") == Decimal(bill["closing"])

    # the ledger balances, transaction by transaction and as a whole
    admin = MoneyClient(gw.url, gw.admin.token)
    txns = admin.ledger()
    assert all(sum(Decimal(e["amount"]) for e in t["entries"]) == 0 for t in txns)
    assert [t["kind"] for t in txns].count("egress") == 1

    # data-east's provider is paid for the data it sent: 5.00 - 10% fee = 4.50
    pa = MoneyClient(gw.url, gw.admin.create_token(user="pa")["token"])
    (c,) = pa.settlement()["centers"]
    assert c["center"] == "data-east"
    assert (Decimal(c["gross"]), Decimal(c["fee"]), Decimal(c["net"])) == (
        Decimal("5.00"),
        Decimal("0.50"),
        Decimal("4.50"),
    )
    assert {k: Decimal(v) for k, v in c["by_resource"].items()} == {"egress": Decimal("4.50")}


def test_lost_attempt_egress_is_not_billed(
    gw: LiveGateway, west: Client, alice: MoneyClient
) -> None:
    job = alice.order(JOB)
    _place(gw, west, job["id"])
    assert Decimal(alice.balance()["balance"]) == Decimal("95.00")  # booked when placed
    _clock(gw).advance(31)  # cpu-west is killed: its lease runs out
    gw.app_state.loop.run_once()  # type: ignore[attr-defined]
    assert alice.job(job["id"])["attempts"][0]["state"] == "LOST"
    assert Decimal(alice.balance()["balance"]) == 100
    (line,) = alice.bill_statement()["lines"]
    assert line["kind"] == "lost" and Decimal(line["amount"]) == 0


def test_bill_command_shows_the_egress_line(
    gw: LiveGateway, west: Client, alice: MoneyClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = alice.order(JOB)
    attempt = _place(gw, west, job["id"])
    _clock(gw).advance(3600)
    west.report("cpu-west", attempt, "SUCCEEDED", exit_code=0, wall_seconds=3600)
    monkeypatch.setenv("C2NET_GATEWAY", gw.url)
    monkeypatch.setenv("C2NET_TOKEN", gw.client.token or "")
    app = typer.Typer()
    statements_cli.register(app)
    out = CliRunner().invoke(app, ["bill"])
    assert out.exit_code == 0, out.output
    (row,) = [x for x in out.output.splitlines() if "egress" in x]
    assert "¥0.40/GB" in row and "12.5 GB" in row and "¥5.00" in row
    assert "Total ¥7.80" in out.output
