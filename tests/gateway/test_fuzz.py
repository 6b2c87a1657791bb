"""Schemathesis over the whole OpenAPI surface of a live gateway: no input gives a 5xx.

Requests carry the operator's token so they reach every route's validation and logic (an
unauthenticated fuzz would stop at 401). The gateway has a center and a few jobs so ids in
paths sometimes exist. Each operation gets its own Hypothesis run (schemathesis generates the
cases from the OpenAPI schema; this test drives them over real HTTP).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from c2net.clock import ManualClock
from c2net.network import center_to_dict
from c2net.store import Store
from tests.builders import center, node
from tests.fixtures.gateway import ADMIN_TOKEN, LiveGateway, serve

pytestmark = pytest.mark.slow

EXAMPLES = 40  # per operation


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[LiveGateway]:
    yield from serve(
        Store("sqlite://"), ManualClock(), run_loop=False, rate_per_second=1e6, rate_burst=1e6
    )


def test_no_server_error_anywhere(fuzzed: LiveGateway) -> None:
    fuzzed.agent("c1").register(center_to_dict(center("c1", (2, node(8, 32, "A100:1")))), {})
    for _ in range(3):
        fuzzed.client.submit({"run": "true"})
    schema = schemathesis.openapi.from_url(f"{fuzzed.url}/openapi.json")
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    errors: list[str] = []
    calls: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20  # every route is in the schema

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            resp = case.call(base_url=fuzzed.url, headers=headers)
            calls.append(resp.status_code)
            if resp.status_code >= 500:
                errors.append(
                    f"{case.method} {case.formatted_path} -> {resp.status_code}: "
                    f"{resp.text[:200]} body={case.body!r}"[:500]
                )

        check()
    assert errors == []
    assert len(calls) >= 10 * len(operations)  # it really sent a variety of requests
    assert any(code < 300 for code in calls) and any(code == 422 for code in calls)
