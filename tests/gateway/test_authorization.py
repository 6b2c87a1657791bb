"""Who may do what: every endpoint x role x owner, over real HTTP.

Setting: consumer alice's job runs at center c-a (provider pa, agent token A); center c-b
belongs to provider pb (agent token B); bob is another consumer; op is the operator.
A consumer's or provider's request for something it may not see answers 404, not 403, so
that other tenants' ids reveal nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from c2net.client import Client
from c2net.clock import ManualClock
from c2net.network import center_to_dict
from c2net.store import Store
from tests.builders import center, node
from tests.fixtures.gateway import LiveGateway, serve

ROLES = ["anon", "alice", "bob", "pa", "pb", "agent_a", "agent_b", "op"]
_unique = itertools.count()


@dataclass
class World:
    gw: LiveGateway
    tokens: dict[str, str | None]
    job: int
    attempt: int
    fresh_job: Callable[[], int]


@pytest.fixture(scope="module")
def gateway_for_matrix() -> Iterator[LiveGateway]:
    """One gateway for the whole module: each test reads or adds, none depends on another."""
    yield from serve(Store("sqlite://"), ManualClock(), run_loop=False)


@pytest.fixture(scope="module")
def world(gateway_for_matrix: LiveGateway) -> World:
    gw = gateway_for_matrix
    agent_a, agent_b = gw.agent("c-a", "pa"), gw.agent("c-b", "pb")
    agent_a.register(center_to_dict(center("c-a", (4, node(8, 32)))), {})
    agent_b.register(center_to_dict(center("c-b", (1, node(1, 1)), cpu=9)), {})
    pa = Client(gw.url, gw.admin.create_token(user="pa")["token"])
    pb = Client(gw.url, gw.admin.create_token(user="pb")["token"])
    bob = gw.consumer("bob")

    def fresh_job() -> int:
        job = gw.client.submit({"run": "sleep 60"})
        gw.app_state.loop.run_once()  # type: ignore[attr-defined]
        for a in agent_a.lease("c-a", [])["assignments"]:
            agent_a.report("c-a", a["attempt_id"], "RUNNING")
        return int(job["id"])

    job = fresh_job()
    attempt = gw.client.job(job)["attempts"][0]["id"]
    tokens = {
        "anon": None,
        "alice": gw.client.token,
        "bob": bob.token,
        "pa": pa.token,
        "pb": pb.token,
        "agent_a": agent_a.token,
        "agent_b": agent_b.token,
        "op": gw.admin.token,
    }
    return World(gw, tokens, job, attempt, fresh_job)


def call(w: World, role: str, method: str, path: str, body: object = None) -> httpx.Response:
    token = w.tokens[role]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.request(method, w.gw.url + path, json=body, headers=headers)


def row(
    anon: int = 401,
    alice: int = 200,
    bob: int = 200,
    pa: int = 200,
    pb: int = 200,
    agent_a: int = 403,
    agent_b: int = 403,
    op: int = 200,
) -> dict[str, int]:
    return dict(zip(ROLES, [anon, alice, bob, pa, pb, agent_a, agent_b, op], strict=True))


CONSUMERS_ONLY = row(pa=403, pb=403)  # and operators
OPERATOR_ONLY = row(alice=403, bob=403, pa=403, pb=403)
MONEY: list[tuple[str, str, Callable[[World], object], dict[str, int]]] = [
    ("GET", "/v1/balance", lambda w: None, row()),
    ("GET", "/v1/balance?account=alice", lambda w: None, row(bob=404, pa=404, pb=404)),
    ("PUT", "/v1/balance/alert", lambda w: {"threshold": "5"}, CONSUMERS_ONLY),
    (
        "POST",
        "/v1/topups",
        lambda w: {"account": "alice", "amount": "1.00"},
        OPERATOR_ONLY | {"op": 201},
    ),
    # bob has nothing to refund and pa is owed nothing: the operator passes and gets 409
    (
        "POST",
        "/v1/refunds",
        lambda w: {"account": "bob", "amount": "1.00"},
        OPERATOR_ONLY | {"op": 409},
    ),
    (
        "POST",
        "/v1/payouts",
        lambda w: {"account": "pa", "amount": "1.00"},
        OPERATOR_ONLY | {"op": 409},
    ),
    ("GET", "/v1/ledger", lambda w: None, row()),
    ("GET", "/v1/ledger?account=alice", lambda w: None, row(bob=404, pa=404, pb=404)),
    ("GET", "/v1/market/settings", lambda w: None, row()),
    ("PUT", "/v1/market/settings", lambda w: {"fee_rate": "0.1"}, OPERATOR_ONLY),
    ("GET", "/v1/centers/c-a/tariff", lambda w: None, row(pb=404)),
    ("PUT", "/v1/centers/c-a/tariff", lambda w: {}, row(alice=403, bob=403, pb=404)),
    (
        "POST",
        "/v1/quotes",
        lambda w: {"run": "true"},
        row(alice=201, bob=201, pa=201, pb=201, op=201),
    ),
    (
        "POST",
        "/v1/orders",
        lambda w: {"spec": {"run": "true"}},
        row(alice=201, bob=201, pa=403, pb=403, op=201),
    ),
    ("GET", "/v1/statements/bill", lambda w: None, CONSUMERS_ONLY),
    ("GET", "/v1/statements/bill?account=alice", lambda w: None, CONSUMERS_ONLY | {"bob": 404}),
    ("GET", "/v1/statements/settlement", lambda w: None, row(alice=403, bob=403)),
    (
        "GET",
        "/v1/statements/settlement?account=pa",
        lambda w: None,
        row(alice=403, bob=403, pb=404),
    ),
    ("GET", "/v1/statements/operator", lambda w: None, OPERATOR_ONLY),
    ("GET", "/v1/events", lambda w: None, row()),
    # without a payment secret the hook is off, for every caller
    ("POST", "/v1/payments/notify", lambda w: {}, {r: 404 for r in ROLES}),
]

AGENT_ONLY = row(alice=403, bob=403, pa=403, pb=403, agent_a=200, op=403)
MATRIX: list[tuple[str, str, Callable[[World], object], dict[str, int]]] = [
    (
        "POST",
        "/v1/jobs",
        lambda w: {"run": "true"},
        row(alice=201, bob=201, pa=403, pb=403, op=201),
    ),
    ("GET", "/v1/jobs", lambda w: None, row()),
    ("GET", "/v1/jobs/{job}", lambda w: None, row(bob=404, pb=404, agent_a=404, agent_b=404)),
    ("GET", "/v1/jobs/{job}/logs", lambda w: None, row(bob=404, pb=404, agent_a=404, agent_b=404)),
    ("POST", "/v1/jobs/{fresh}/cancel", lambda w: None, row(bob=404, pa=403, pb=403)),
    # the deprecated alias of POST /v1/quotes: people ask for quotes, agents do not
    ("POST", "/v1/quote", lambda w: {"run": "true"}, row()),
    ("GET", "/v1/centers", lambda w: None, row(agent_a=200, agent_b=200)),
    ("GET", "/v1/bill", lambda w: None, row()),
    (
        "POST",
        "/v1/agent/register",
        lambda w: {"center": center_to_dict(center("c-a", (4, node(8, 32))))},
        AGENT_ONLY,
    ),
    ("POST", "/v1/agent/heartbeat", lambda w: {"center": "c-a", "held": [w.attempt]}, AGENT_ONLY),
    ("POST", "/v1/agent/lease", lambda w: {"center": "c-a", "held": [w.attempt]}, AGENT_ONLY),
    (
        "POST",
        "/v1/agent/report",
        lambda w: {"center": "c-a", "attempt_id": w.attempt, "state": "RUNNING"},
        AGENT_ONLY,
    ),
    (
        "POST",
        "/v1/agent/logs",
        lambda w: {"center": "c-a", "attempt_id": w.attempt, "offset": 0, "data": ""},
        AGENT_ONLY,
    ),
    (
        "POST",
        "/v1/accounts",
        lambda w: {"name": f"acct{next(_unique)}", "kind": "consumer"},
        row(alice=403, bob=403, pa=403, pb=403, op=201),
    ),
    ("GET", "/v1/accounts", lambda w: None, row(agent_a=200, agent_b=200)),
    (
        "POST",
        "/v1/users",
        lambda w: {"name": f"user{next(_unique)}", "account": "bob"},
        row(alice=403, bob=403, pa=403, pb=403, op=201),
    ),
    (
        "POST",
        "/v1/tokens",
        lambda w: {"name": "x"},
        row(alice=201, bob=201, pa=201, pb=201, op=201),
    ),
    ("GET", "/v1/tokens", lambda w: None, row(agent_a=200, agent_b=200)),
    (
        "POST",
        "/v1/agent-tokens",
        lambda w: {"center": "c-a"},
        row(alice=403, bob=403, pa=201, pb=409, op=422),
    ),
    ("GET", "/v1/whoami", lambda w: None, row(agent_a=200, agent_b=200)),
    # money: consumers their own, providers their revenue and centers, operators all
    *MONEY,
]


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX]
)
def test_authorization_matrix(
    world: World, method: str, path: str, body: Callable[[World], object], expected: dict[str, int]
) -> None:
    got = {}
    for role in ROLES:
        concrete = path.replace("{job}", str(world.job))
        if "{fresh}" in concrete:
            concrete = concrete.replace("{fresh}", str(world.fresh_job()))
        got[role] = call(world, role, method, concrete, body(world)).status_code
    assert got == expected


def ids(resp: httpx.Response) -> set[int]:
    return {j["id"] for j in resp.json()}


def test_lists_show_only_what_each_may_see(world: World) -> None:
    assert world.job in ids(call(world, "alice", "GET", "/v1/jobs"))
    assert world.job not in ids(call(world, "bob", "GET", "/v1/jobs"))
    assert world.job in ids(call(world, "pa", "GET", "/v1/jobs"))  # placed at pa's center
    assert world.job not in ids(call(world, "pb", "GET", "/v1/jobs"))
    assert world.job in ids(call(world, "op", "GET", "/v1/jobs"))
    assert [c["name"] for c in call(world, "pa", "GET", "/v1/centers").json()] == ["c-a"]
    assert [c["name"] for c in call(world, "alice", "GET", "/v1/centers").json()] == ["c-a", "c-b"]
    assert call(world, "agent_a", "GET", "/v1/centers").json() == []
    for other in ("bob", "pb"):
        lines = call(world, other, "GET", "/v1/bill").json()["lines"]
        assert world.job not in {x["job_id"] for x in lines}
    pa_lines = call(world, "pa", "GET", "/v1/bill").json()["lines"]
    assert world.job in {x["job_id"] for x in pa_lines}
    assert {x["center"] for x in pa_lines} == {"c-a"}


def test_money_is_private(world: World) -> None:
    call(world, "op", "POST", "/v1/topups", {"account": "alice", "amount": "3.00"})
    alice = _account_id(world, "alice")
    for who in ("bob", "pa", "pb"):
        for path in ("/v1/ledger", "/v1/events"):
            rows = call(world, who, "GET", path).json()
            assert all(r["account_id"] != alice for r in rows), (who, path)
    mine = call(world, "alice", "GET", "/v1/ledger").json()
    assert any(t["kind"] == "topup" for t in mine)
    assert all(t["account_id"] == alice for t in mine)
    assert call(world, "bob", "GET", "/v1/balance?account=alice").status_code == 404


def _account_id(world: World, name: str) -> int:
    (found,) = [a for a in call(world, "op", "GET", "/v1/accounts").json() if a["name"] == name]
    return int(found["id"])


def test_forged_agent_report_is_refused(world: World) -> None:
    # agent B claims to be c-a: its token is for c-b
    forged = {"center": "c-a", "attempt_id": world.attempt, "state": "SUCCEEDED", "exit_code": 0}
    assert call(world, "agent_b", "POST", "/v1/agent/report", forged).status_code == 403
    # agent B reports for its own center about c-a's attempt: not held by c-b
    forged["center"] = "c-b"
    assert call(world, "agent_b", "POST", "/v1/agent/report", forged).status_code == 404
    assert world.gw.client.job(world.job)["state"] == "RUNNING"


def test_idempotency_keys_are_per_account(world: World) -> None:
    key = {"Idempotency-Key": "same-key"}
    a = httpx.post(
        f"{world.gw.url}/v1/jobs",
        json={"run": "true"},
        headers={"Authorization": f"Bearer {world.tokens['alice']}"} | key,
    )
    b = httpx.post(
        f"{world.gw.url}/v1/jobs",
        json={"run": "true"},
        headers={"Authorization": f"Bearer {world.tokens['bob']}"} | key,
    )
    assert a.json()["id"] != b.json()["id"]  # bob's key cannot fetch alice's job


def test_revoked_and_expired_tokens(world: World) -> None:
    gw = world.gw
    created = gw.client.create_token(name="short", expires_in_days=1)
    short = Client(gw.url, created["token"])
    assert short.whoami()["user"] == "alice"
    (info,) = [t for t in gw.client.tokens() if t["name"] == "short"]
    assert created["token"].startswith(info["prefix"]) and "token" not in info
    gw.app_state.clock.advance(86401)  # type: ignore[attr-defined]
    assert (
        httpx.get(
            f"{gw.url}/v1/whoami", headers={"Authorization": f"Bearer {created['token']}"}
        ).status_code
        == 401
    )
    again = Client(gw.url, gw.client.create_token(name="again")["token"])
    (info,) = [t for t in gw.client.tokens() if t["name"] == "again"]
    gw.client.revoke_token(info["id"])
    resp = httpx.get(f"{gw.url}/v1/whoami", headers={"Authorization": f"Bearer {again.token}"})
    assert resp.status_code == 401 and "revoked" in resp.json()["detail"]


def test_tokens_are_stored_hashed(world: World) -> None:
    from sqlalchemy import select

    from c2net.store.schema import tokens

    with world.gw.store.engine.connect() as conn:
        stored = {r[0] for r in conn.execute(select(tokens.c.digest))}
    for secret in world.tokens.values():
        if secret:
            assert secret not in stored and len(stored) > 0


def test_missing_token_message_says_what_to_do(world: World) -> None:
    resp = httpx.get(f"{world.gw.url}/v1/jobs")
    assert resp.status_code == 401 and "Authorization: Bearer" in resp.json()["detail"]
