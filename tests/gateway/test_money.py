"""The market over real HTTP, as a new user would meet it: top up, quote and submit at peak and
valley hours (a manual clock), read the bill and check it by hand; budgets, brakes, a lost
attempt, the payment hook, and the money commands of the CLI.

Center `cpu-west` sells a cpu-hour at ¥1.2 and a GB-hour at ¥0.1, so the test job (2 cpus,
4 GB) costs 2 x 1.2 + 4 x 0.1 = ¥2.8/h flat. Its tariff: peak 08:00-12:00 x1.5 (¥4.2/h),
valley 23:00-07:00 x0.5 (¥1.4/h), in Asia/Shanghai. The platform fee is 10%.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import typer
from typer.testing import CliRunner

from c2net.cli import money as money_cli
from c2net.cli import statements as statements_cli
from c2net.cli.money import MoneyClient
from c2net.client import C2netError, Client
from c2net.clock import ManualClock
from c2net.network import center_to_dict
from c2net.store import Store
from tests.builders import center, node
from tests.fixtures.gateway import LiveGateway, serve

SH = ZoneInfo("Asia/Shanghai")
CPU = center("cpu-west", (4, node(8, 32)), cpu=1.2, mem=0.1, role="west")
TARIFF = {
    "timezone": "Asia/Shanghai",
    "time_of_use": [
        {"period": "peak", "hours": "08:00-12:00", "multiplier": 1.5},
        {"period": "valley", "hours": "23:00-07:00", "multiplier": 0.5},
    ],
}
JOB = {"run": "sleep 3600", "resources": {"cpus": 2, "memory": 4}, "runtime": 1}
SECRET = "payment-hook-secret"


@pytest.fixture
def gw() -> Iterator[LiveGateway]:
    store = Store("sqlite://", heartbeat_timeout=15, lease_seconds=30)
    yield from serve(store, ManualClock(), run_loop=False, payment_secret=SECRET)


@pytest.fixture
def agent(gw: LiveGateway) -> Client:
    a = gw.agent("cpu-west", "prov")
    a.register(center_to_dict(CPU), {})
    return a


@pytest.fixture
def admin(gw: LiveGateway, agent: Client) -> MoneyClient:
    m = MoneyClient(gw.url, gw.admin.token)
    m.tariff("cpu-west", TARIFF)
    m.market_settings(fee_rate=Decimal("0.10"), brakes=True, grace_seconds=60.0)
    return m


@pytest.fixture
def alice(gw: LiveGateway, admin: MoneyClient) -> MoneyClient:
    m = MoneyClient(gw.url, gw.client.token)
    admin.move_money("topups", "alice", Decimal(100))
    return m


def clock(gw: LiveGateway) -> ManualClock:
    c: ManualClock = gw.app_state.clock  # type: ignore[attr-defined]
    return c


def go_to(gw: LiveGateway, agent: Client, day: int, hour: int, minute: int = 0) -> None:
    """Move the clock forward to 2023-11-<day> hour:minute in Shanghai; the center's agent
    sends a heartbeat then (nothing runs in between)."""
    target = datetime(2023, 11, day, hour, minute, tzinfo=SH).timestamp()
    clock(gw).advance(target - clock(gw).now())
    agent.heartbeat("cpu-west", [])


def cycle(gw: LiveGateway) -> None:
    gw.app_state.loop.run_once()  # type: ignore[attr-defined]


def _metering(gw: LiveGateway) -> Any:
    """The gateway's metering pass (its thread is off: the test runs it by hand)."""
    return gw.server.config.app.state.metering


def run_job(
    gw: LiveGateway, agent: Client, job_id: int, seconds: float, *, meter_every: float = 0
) -> None:
    """Place the job, start it now, let it run `seconds` (metered every `meter_every` s) and
    report it SUCCEEDED with that wall time."""
    cycle(gw)
    (a,) = agent.lease("cpu-west", [])["assignments"]
    assert a["job_id"] == job_id
    agent.report("cpu-west", a["attempt_id"], "RUNNING")
    left = seconds
    while meter_every and left > meter_every:
        clock(gw).advance(meter_every)
        left -= meter_every
        agent.heartbeat("cpu-west", [a["attempt_id"]])
        _metering(gw).run_once()
    clock(gw).advance(left)
    agent.report("cpu-west", a["attempt_id"], "SUCCEEDED", exit_code=0, wall_seconds=seconds)


def dec(x: object) -> Decimal:
    return Decimal(str(x))


def test_top_up_quote_peak_and_valley_bill_settlement_and_fee(
    gw: LiveGateway, agent: Client, admin: MoneyClient, alice: MoneyClient
) -> None:
    assert dec(alice.balance()["balance"]) == 100

    # 1. at 09:00, peak: 2.8 x 1.5 = ¥4.2/h; one hour quoted, all in peak = ¥4.20
    go_to(gw, agent, 15, 9)
    q = alice.quote(JOB)
    (offer,) = q["offers"]
    assert dec(offer["price_per_hour"]) == Decimal("4.2")
    assert dec(offer["estimated_cost"]) == Decimal("4.2")
    assert q["quote_id"].startswith("q-") and q["valid_until"] - q["created_at"] == 900
    peak = alice.order(JOB, quote=q["quote_id"])
    run_job(gw, agent, peak["id"], 1800, meter_every=600)  # 4.2 x 1800 / 3600 = ¥2.10

    # 2. at 23:30, valley: 2.8 x 0.5 = ¥1.4/h; one hour = ¥1.40
    go_to(gw, agent, 15, 23, 30)
    q = alice.quote(JOB)
    assert dec(q["offers"][0]["price_per_hour"]) == Decimal("1.4")
    valley = alice.order(JOB, quote=q["quote_id"])
    run_job(gw, agent, valley["id"], 3600)  # 1.4 x 3600 / 3600 = ¥1.40

    # 3. from 06:30: half an hour of valley (¥1.4/h) then half an hour flat (¥2.8/h); the
    # quote says so: 1.4 x 0.5 + 2.8 x 0.5 = ¥2.10
    go_to(gw, agent, 16, 6, 30)
    q = alice.quote(JOB)
    periods = {p["period"]: (dec(p["seconds"]), dec(p["cost"])) for p in q["offers"][0]["periods"]}
    assert periods == {"valley": (1800, Decimal("0.7")), "flat": (1800, Decimal("1.4"))}
    assert dec(q["offers"][0]["estimated_cost"]) == Decimal("2.1")
    crossing = alice.order(JOB)
    run_job(gw, agent, crossing["id"], 3600, meter_every=900)

    bill = alice.bill_statement("2023-11")
    lines = [
        (x["job_id"], x["period"], dec(x["price_per_hour"]), dec(x["seconds"]), dec(x["amount"]))
        for x in bill["lines"]
    ]
    assert lines == [
        (peak["id"], "peak", Decimal("4.2"), 1800, Decimal("2.10")),
        (valley["id"], "valley", Decimal("1.4"), 3600, Decimal("1.40")),
        (crossing["id"], "valley", Decimal("1.4"), 1800, Decimal("0.70")),
        (crossing["id"], "flat", Decimal("2.8"), 1800, Decimal("1.40")),
    ]
    for _, _, price, seconds, amount in lines:  # each line is price x seconds, to the fen
        assert amount == (price * seconds / 3600).quantize(Decimal("0.01"))
    # 2.10 + 1.40 + 0.70 + 1.40 = 5.60; 100 - 5.60 = 94.40
    assert dec(bill["total"]) == Decimal("5.60")
    assert dec(bill["closing"]) == Decimal("94.40") == dec(alice.balance()["balance"])
    assert dec(bill["payments"]) == 100 and dec(bill["opening"]) == 0

    # the provider: fee 10% of each settlement (0.21 + 0.14 + 0.21 = 0.56), the rest is theirs
    prov = MoneyClient(gw.url, gw.admin.create_token(user="prov")["token"])
    s = prov.settlement("2023-11")
    assert (dec(s["gross"]), dec(s["fees"]), dec(s["net"])) == (
        Decimal("5.60"),
        Decimal("0.56"),
        Decimal("5.04"),
    )
    assert dec(s["gross"]) == dec(s["fees"]) + dec(s["net"]) == dec(bill["total"])
    (c,) = s["centers"]
    # net split by unit price: cpu 2.4/2.8 and memory 0.4/2.8 of each settlement's net
    # (1.89 -> 1.62 + 0.27, 1.26 -> 1.08 + 0.18, 1.89 -> 1.62 + 0.27)
    assert {k: dec(v) for k, v in c["by_resource"].items()} == {
        "cpu": Decimal("4.32"),
        "memory": Decimal("0.72"),
    }
    assert dec(prov.balance()["balance"]) == Decimal("5.04") == dec(s["owed"])

    r = admin.operator_statement("2023-11")
    assert dec(r["fee_income"]) == Decimal("0.56") and dec(r["charged"]) == Decimal("5.60")
    assert dec(r["provider_revenue"]) == Decimal("5.04") and dec(r["waived"]) == 0
    assert r["payable"] == {"prov": "5.040000"}
    admin.move_money("payouts", "prov", Decimal("5.04"))
    assert dec(prov.balance()["balance"]) == 0


def test_price_change_applies_to_later_placements_only(
    gw: LiveGateway, agent: Client, admin: MoneyClient, alice: MoneyClient
) -> None:
    go_to(gw, agent, 15, 14)  # flat: ¥2.8/h
    first = alice.order(JOB)
    cycle(gw)
    (a,) = agent.lease("cpu-west", [])["assignments"]
    agent.report("cpu-west", a["attempt_id"], "RUNNING")
    admin.tariff("cpu-west", TARIFF | {"flat_multiplier": 2})  # flat now ¥5.6/h
    second = alice.order(JOB)
    cycle(gw)
    (b,) = agent.lease("cpu-west", [a["attempt_id"]])["assignments"]
    assert (a["price_per_hour"], b["price_per_hour"]) == (2.8, 5.6)
    agent.report("cpu-west", b["attempt_id"], "RUNNING")
    clock(gw).advance(3600)
    for x in (a, b):
        agent.report("cpu-west", x["attempt_id"], "SUCCEEDED", exit_code=0, wall_seconds=3600)
    amounts = {x["job_id"]: dec(x["amount"]) for x in alice.bill_statement("2023-11")["lines"]}
    assert amounts == {first["id"]: Decimal("2.80"), second["id"]: Decimal("5.60")}


def test_quote_holds_its_price_until_it_expires(
    gw: LiveGateway, agent: Client, admin: MoneyClient, alice: MoneyClient
) -> None:
    go_to(gw, agent, 15, 14)
    q = alice.quote(JOB)  # ¥2.8/h
    admin.tariff("cpu-west", TARIFF | {"flat_multiplier": 2})  # dearer: ¥5.6/h
    held = alice.order(JOB, quote=q["quote_id"])
    cycle(gw)
    (a,) = agent.lease("cpu-west", [])["assignments"]
    assert a["job_id"] == held["id"] and a["price_per_hour"] == 2.8
    clock(gw).advance(901)  # the quote's 15 minutes are over
    with pytest.raises(C2netError) as info:
        alice.order(JOB, quote=q["quote_id"])
    assert info.value.status == 409 and "expired" in info.value.message
    bob = MoneyClient(gw.url, gw.consumer("bob").token)
    with pytest.raises(C2netError) as info:
        bob.order(JOB, quote=q["quote_id"])  # another account's quote is not found
    assert info.value.status == 404


def test_job_past_its_budget_is_stopped_with_a_clear_message(
    gw: LiveGateway, agent: Client, admin: MoneyClient, alice: MoneyClient
) -> None:
    go_to(gw, agent, 15, 14)  # flat: ¥2.8/h = ¥0.046667 a minute
    job = alice.order(JOB, budget=Decimal("1.00"))
    cycle(gw)
    (a,) = agent.lease("cpu-west", [])["assignments"]
    agent.report("cpu-west", a["attempt_id"], "RUNNING")
    clock(gw).advance(1200)  # 2.8 x 1200 / 3600 = 0.933333 spent; + a minute = 0.98: goes on
    agent.heartbeat("cpu-west", [a["attempt_id"]])
    _metering(gw).run_once()
    assert alice.job(job["id"])["cancel_requested"] is False
    clock(gw).advance(60)  # 1.026667 would be spent... 0.98 + 0.046667 > 1.00: stopped
    _metering(gw).run_once()
    j = alice.job(job["id"])
    assert j["cancel_requested"] is True
    assert j["reason"].startswith("stopped: budget ¥1.00 reached")
    assert agent.heartbeat("cpu-west", [a["attempt_id"]])["stop"] == [a["attempt_id"]]
    clock(gw).advance(60)
    # the agent kills it after 1320 s: 2.8 x 1320 / 3600 = 1.026667 -> 1.03, capped at 1.00
    agent.report("cpu-west", a["attempt_id"], "CANCELLED", wall_seconds=1320)
    j = alice.job(job["id"])
    assert j["state"] == "CANCELLED" and "budget ¥1.00 reached" in j["reason"]
    assert "[c2net] stopped: budget ¥1.00 reached" in alice.logs(job["id"])["data"]
    bill = alice.bill_statement("2023-11")
    assert [(x["kind"], dec(x["amount"])) for x in bill["lines"]] == [
        ("usage", Decimal("1.03")),
        ("waived", Decimal("-0.03")),
    ]
    assert dec(bill["total"]) == Decimal("1.00") == 100 - dec(alice.balance()["balance"])
    assert {e["kind"] for e in alice.events()} >= {"budget"}


def test_lost_attempt_is_not_billed(
    gw: LiveGateway, agent: Client, admin: MoneyClient, alice: MoneyClient
) -> None:
    go_to(gw, agent, 15, 14)
    job = alice.order(JOB)
    cycle(gw)
    (a,) = agent.lease("cpu-west", [])["assignments"]
    agent.report("cpu-west", a["attempt_id"], "RUNNING")
    clock(gw).advance(20)
    agent.heartbeat("cpu-west", [a["attempt_id"]])  # lease until +30 s
    _metering(gw).run_once()  # 2.8 x 20 / 3600 = 0.015556 metered while it runs
    assert dec(alice.balance()["balance"]) == Decimal("99.984444")
    clock(gw).advance(31)  # the center is killed: no heartbeat, the lease runs out
    cycle(gw)
    j = alice.job(job["id"])
    assert j["attempts"][0]["state"] == "LOST" and j["state"] in ("PENDING", "ASSIGNED")
    assert dec(alice.balance()["balance"]) == 100  # the metered usage was reversed
    (line,) = alice.bill_statement("2023-11")["lines"]
    assert line["kind"] == "lost" and dec(line["amount"]) == 0
    ledger = admin.ledger("alice")
    assert [t["kind"] for t in ledger] == ["topup", "usage", "reversal"]


def test_brakes_hold_new_work_and_stop_running_work_after_grace(
    gw: LiveGateway, agent: Client, admin: MoneyClient
) -> None:
    go_to(gw, agent, 15, 14)  # flat: ¥2.8/h, ¥0.046667 a minute
    bob = MoneyClient(gw.url, gw.consumer("bob").token)
    assert "held" in bob.balance()["held"]  # nothing to pay with
    admin.move_money("topups", "bob", Decimal("0.05"))
    assert bob.balance()["held"] == ""
    job = bob.order(JOB)
    cycle(gw)
    (a,) = agent.lease("cpu-west", [])["assignments"]
    agent.report("cpu-west", a["attempt_id"], "RUNNING")
    clock(gw).advance(30)
    agent.heartbeat("cpu-west", [a["attempt_id"]])
    _metering(gw).run_once()  # 0.023333 spent, 0.026667 left < a minute (0.046667): short
    later = bob.order(JOB)
    cycle(gw)
    held = bob.job(later["id"])
    assert held["state"] == "PENDING" and held["reason"].startswith("held: funds ¥0.026667")
    assert bob.job(job["id"])["cancel_requested"] is False  # within the 60 s grace
    clock(gw).advance(60)
    agent.heartbeat("cpu-west", [a["attempt_id"]])
    _metering(gw).run_once()
    j = bob.job(job["id"])
    assert j["cancel_requested"] is True and j["reason"].startswith("stopped: funds exhausted")
    assert "[c2net] stopped: funds exhausted" in bob.logs(job["id"])["data"]
    # killed after 95 s: 2.8 x 95 / 3600 = 0.073889 -> 0.07; bob can pay 0.05, 0.02 is waived
    agent.report("cpu-west", a["attempt_id"], "CANCELLED", wall_seconds=95)
    assert dec(bob.balance()["balance"]) == 0  # never below minus its credit limit (0)
    # ¥0.05 is below the default ¥10 alert threshold: one low-balance notice, not one a pass
    kinds = [e["kind"] for e in bob.events()]
    assert sorted(kinds) == ["held", "low_balance", "stopped", "topup"]
    r = admin.operator_statement("2023-11")
    assert dec(r["waived"]) == Decimal("0.02")
    admin.move_money("topups", "bob", Decimal(10))  # funds again: the held job goes
    cycle(gw)
    assert bob.job(later["id"])["state"] == "ASSIGNED"


def test_payment_hook_is_signed_and_books_once(gw: LiveGateway, admin: MoneyClient) -> None:
    body = json.dumps({"account": "alice", "amount": "50.00", "reference": "wx-0001"}).encode()
    sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    url = f"{gw.url}/v1/payments/notify"
    bad = httpx.post(url, content=body, headers={"X-C2net-Signature": "sha256=00"})
    assert bad.status_code == 401
    for _ in range(2):  # a payment system retries: booked once
        ok = httpx.post(url, content=body, headers={"X-C2net-Signature": sig})
        assert ok.status_code == 201
    assert dec(admin.balance("alice")["balance"]) == 50
    assert [t["reference"] for t in admin.ledger("alice")] == ["wx-0001"]


def test_refund_cannot_exceed_the_balance(gw: LiveGateway, admin: MoneyClient) -> None:
    admin.move_money("topups", "alice", Decimal(10))
    admin.move_money("refunds", "alice", Decimal(4))
    with pytest.raises(C2netError) as info:
        admin.move_money("refunds", "alice", Decimal(7))  # 10 - 4 = 6 left
    assert info.value.status == 409
    assert dec(admin.balance("alice")["balance"]) == 6


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"time_of_use": [{"period": "peak", "hours": "8-11", "multiplier": 2}]}, "HH:MM"),
        ({"spot_discount": 1.5}, "spot_discount"),
        ({"color": "red"}, "unknown keys"),
        ({"timezone": "Mars/Olympus"}, "time zone"),
    ],
)
def test_bad_tariff_is_422(admin: MoneyClient, body: dict[str, Any], needle: str) -> None:
    with pytest.raises(C2netError) as info:
        admin.tariff("cpu-west", body)
    assert info.value.status == 422 and needle in info.value.message


runner = CliRunner()


def _cli() -> typer.Typer:
    app = typer.Typer()
    money_cli.register(app)
    statements_cli.register(app)
    return app


def test_money_commands(
    gw: LiveGateway,
    agent: Client,
    admin: MoneyClient,
    alice: MoneyClient,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    go_to(gw, agent, 15, 14)
    job = alice.order(JOB)
    run_job(gw, agent, job["id"], 3600)  # ¥2.80
    monkeypatch.setenv("C2NET_GATEWAY", gw.url)
    monkeypatch.setenv("C2NET_TOKEN", gw.admin.token or "")
    app = _cli()
    out = runner.invoke(app, ["topup", "alice", "20"])
    assert out.exit_code == 0 and "¥20" in out.output
    assert runner.invoke(app, ["topup", "alice", "0.001"]).exit_code == 2  # finer than a fen
    monkeypatch.setenv("C2NET_TOKEN", gw.client.token or "")
    out = runner.invoke(app, ["balance"])
    # 100 + 20 - 2.80 = 117.20
    assert out.exit_code == 0 and "¥117.20" in out.output
    csv_file = tmp_path / "bill.csv"
    out = runner.invoke(app, ["bill", "--month", "2023-11", "--csv", str(csv_file)])
    assert out.exit_code == 0 and "Total ¥2.80" in out.output
    assert csv_file.read_text().splitlines()[-1] == "total,,,,,,,,,2.80,CNY"
    monkeypatch.chdir(tmp_path)
    out = runner.invoke(app, ["invoice", "--month", "2023-11"])
    assert out.exit_code == 0
    html = (tmp_path / "invoice-alice-2023-11.html").read_text()
    assert "Total due for 2023-11: ¥2.80" in html
    assert (tmp_path / "invoice-alice-2023-11.csv").exists()
    out = runner.invoke(app, ["events", "--json"])
    assert [e["kind"] for e in json.loads(out.stdout)] == ["topup", "topup"]
    out = runner.invoke(app, ["settlement"])
    assert out.exit_code == 1 and "consumer token cannot" in out.output


def test_events_print_messages_as_written(
    gw: LiveGateway, alice: MoneyClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A message quoting a name someone chose prints as written, never as rich markup."""
    account = gw.store.account("alice").id
    gw.store.add_event(clock(gw).now(), account, "budget", "job 7 named [red]x[/red] [bold]")
    monkeypatch.setenv("C2NET_GATEWAY", gw.url)
    monkeypatch.setenv("C2NET_TOKEN", gw.client.token or "")
    out = runner.invoke(_cli(), ["events"])
    assert out.exit_code == 0, out.output
    assert "job 7 named [red]x[/red] [bold]" in out.output


def test_spot_pays_the_discounted_price_and_busy_centers_cost_more(
    gw: LiveGateway, agent: Client, admin: MoneyClient, alice: MoneyClient
) -> None:
    go_to(gw, agent, 15, 14)  # flat
    admin.tariff(
        "cpu-west",
        TARIFF | {"spot_discount": 0.3, "utilization_surcharge": {"above": 0.0, "max": 0.5}},
    )
    # idle: no surcharge; spot 2.8 x (1 - 0.3) = 1.96
    spot = alice.order(JOB | {"spot": True})
    cycle(gw)
    (a,) = agent.lease("cpu-west", [])["assignments"]
    assert a["job_id"] == spot["id"] and a["price_per_hour"] == pytest.approx(1.96)
    # now 2 of 32 cpus and 4 of 128 GB are held: cpus 1/16 busy, the busiest resource;
    # surcharge 0.5 x 1/16 = 3.125%: 2.8 x 1.03125 = 2.8875 on demand
    busy = alice.order(JOB)
    cycle(gw)
    (b,) = agent.lease("cpu-west", [a["attempt_id"]])["assignments"]
    assert b["job_id"] == busy["id"] and b["price_per_hour"] == pytest.approx(2.8875)
