"""Hostile input: oversized bodies, floods, unknown keys, out-of-range ids, traversal, markup."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from c2net.clock import ManualClock
from c2net.gateway.limits import TokenBuckets
from c2net.store import Store
from tests.fixtures.gateway import LiveGateway, serve


@pytest.fixture
def tight() -> Iterator[LiveGateway]:
    """A gateway with a 10 kB body limit and 5 requests a second per token (bursts of 5)."""
    yield from serve(
        Store("sqlite://"),
        ManualClock(),
        run_loop=False,
        max_body_bytes=10_000,
        rate_per_second=5,
        rate_burst=5,
    )


def auth(gw: LiveGateway) -> dict[str, str]:
    return {"Authorization": f"Bearer {gw.client.token}"}


def test_declared_oversized_body_is_413(tight: LiveGateway) -> None:
    body = {"run": "x" * 20_000}
    resp = httpx.post(f"{tight.url}/v1/jobs", json=body, headers=auth(tight))
    assert resp.status_code == 413 and "10000 bytes" in resp.json()["detail"]


def test_streamed_oversized_body_is_413(tight: LiveGateway) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"run": "'
        for _ in range(30):
            yield b"x" * 1000
        yield b'"}'

    resp = httpx.post(
        f"{tight.url}/v1/jobs",
        content=chunks(),
        headers={**auth(tight), "content-type": "application/json"},
    )
    assert resp.status_code == 413
    assert tight.client.jobs() == []  # nothing was accepted


def test_flood_from_one_token_is_429_and_others_still_served() -> None:
    clock = [0.0]
    buckets = TokenBuckets(rate=5, burst=5, clock=lambda: clock[0])
    # 5 requests pass in a burst, the 6th must wait 1/5 s for a new token
    assert [buckets.take("a") for _ in range(5)] == [0.0] * 5
    assert buckets.take("a") == pytest.approx(0.2)
    assert buckets.take("b") == 0.0  # another token has its own bucket
    clock[0] += 0.2
    assert buckets.take("a") == 0.0


def test_rate_limit_over_http(tight: LiveGateway) -> None:
    codes = [
        httpx.get(f"{tight.url}/v1/whoami", headers=auth(tight)).status_code for _ in range(12)
    ]
    assert 429 in codes
    limited = httpx.get(f"{tight.url}/v1/whoami", headers=auth(tight))
    if limited.status_code == 429:
        assert int(limited.headers["retry-after"]) >= 1


@pytest.mark.parametrize(
    ("method", "path", "body", "needle"),
    [
        ("POST", "/v1/agent/heartbeat", {"center": "c", "held": [], "sneaky": 1}, "sneaky"),
        (
            "POST",
            "/v1/agent/report",
            {"center": "c", "attempt_id": 2**70, "state": "RUNNING"},
            "attempt_id",
        ),
        (
            "POST",
            "/v1/agent/logs",
            {"center": "c", "attempt_id": 1, "offset": -1, "data": ""},
            "offset",
        ),
        ("GET", "/v1/jobs/99999999999999999999999", None, "job_id"),
        ("GET", "/v1/jobs/1/logs?offset=-5", None, "offset"),
        ("POST", "/v1/jobs", {"run": "x", "name": "../../etc/passwd"}, "name"),
        ("POST", "/v1/tokens", {"name": "x", "expires_in_days": -1}, "expires_in_days"),
        ("DELETE", "/v1/tokens/0", None, "token_id"),
    ],
)
def test_bad_values_are_422_naming_the_field(
    gateway: LiveGateway, method: str, path: str, body: object, needle: str
) -> None:
    token = gateway.agent("c").token if "/agent/" in path else gateway.client.token
    resp = httpx.request(
        method, gateway.url + path, json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert resp.status_code == 422, resp.text
    assert needle in resp.json()["detail"]


def test_markup_and_control_text_in_output_prints_as_written(
    gateway: LiveGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from c2net.cli import app

    run = "echo '[bold red]not styled[/]'"
    job = gateway.client.submit({"run": run})
    monkeypatch.setenv("C2NET_GATEWAY", gateway.url)
    monkeypatch.setenv("C2NET_TOKEN", gateway.client.token or "")
    out = CliRunner().invoke(app, ["status", str(job["id"])])
    assert out.exit_code == 0
    assert "[bold red]not styled[/]" in out.output
