"""End to end on PostgreSQL: `c2net server --db postgresql+psycopg://...` (the production
database, migrated at start) with three agents as processes; jobs run, bill and log as on
SQLite, and every row is in PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from c2net.cli.launcher import Network
from c2net.client import Client
from c2net.store.migrations import head

pytestmark = pytest.mark.slow

NETWORK = Path(__file__).parent.parent / "data" / "network-small.yaml"


@pytest.fixture
def net(network_factory: Callable[..., Network], postgres_url: str) -> Network:
    # the launcher's own `--db sqlite:///...` comes first; the last --db wins
    return network_factory(str(NETWORK), extra_server_args=("--db", postgres_url))


@pytest.fixture
def user(net: Network) -> Iterator[Client]:
    with Client(net.gateway, net.tokens["user"]) as c:
        yield c


def test_jobs_run_and_bill_on_postgresql(net: Network, user: Client, postgres_url: str) -> None:
    ok = user.submit({"run": "echo hello from $C2NET_JOB_ID", "resources": {"cpus": 1}})
    gpu = user.submit(
        {"run": "echo $CUDA_VISIBLE_DEVICES", "resources": {"accelerators": "A100:1"}}
    )
    bad = user.submit({"run": "exit 3"})
    assert user.wait(ok["id"], timeout=60)["state"] == "SUCCEEDED"
    assert user.wait(gpu["id"], timeout=60)["state"] == "SUCCEEDED"
    assert user.wait(bad["id"], timeout=60)["exit_code"] == 3
    assert user.logs(ok["id"])["data"] == f"hello from {ok['id']}\n"
    # 1 cpu and 1 GB: west-cheap 0.05 + 0.005 = 0.055/h is the cheapest; A100: west-a100
    assert user.job(ok["id"])["center"] == "west-cheap"
    assert user.job(gpu["id"])["center"] == "west-a100"
    bill = user.bill()
    total = sum(float(line["cost"]) for line in bill["lines"])
    assert float(bill["total"]) == pytest.approx(total, abs=1e-6)
    with Client(net.gateway) as anyone:
        assert anyone.health()["leader"] is True
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head()
            states = dict(
                conn.execute(
                    text("SELECT id, state FROM jobs WHERE id IN (:a, :b, :c)"),
                    {"a": ok["id"], "b": gpu["id"], "c": bad["id"]},
                ).all()
            )
    finally:
        engine.dispose()
    assert states == {ok["id"]: "SUCCEEDED", gpu["id"]: "SUCCEEDED", bad["id"]: "FAILED"}


def test_an_idempotent_submit_retried_makes_one_job(user: Client) -> None:
    first = user.submit({"run": "true"}, idempotency_key="same-key")
    again = user.submit({"run": "true"}, idempotency_key="same-key")
    assert first["id"] == again["id"]
    assert [j["id"] for j in user.jobs()].count(first["id"]) == 1
