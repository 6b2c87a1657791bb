"""The dashboard's operator pages in headless Chromium against the live network: fairness across
tenants on the money page (compared with GET /v1/pool/fairness), and the pool's utilization
chart drawing the history the gateway stored before the page was loaded."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.dashboard.conftest import LiveNetwork
from tests.dashboard.pages import WAIT_MS, close_to, num, open_page, percent, quiet, signed_in
from tests.dashboard.pages import wait_until as until
from tests.fixtures.browser import Tab, screenshot

pytestmark = pytest.mark.slow


def api(net: LiveNetwork, path: str, token: str | None, **params: Any) -> Any:
    resp = httpx.get(
        f"{net.url}{path}", params=params, headers={"Authorization": f"Bearer {token}"}
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_operators_see_fairness_across_tenants(network: LiveNetwork, tab: Tab) -> None:
    quiet(network)
    dora = network.gateway.consumer("dora")
    network.admin.set_account_policy("dora", weight=2)
    jobs = [
        network.client.submit({"name": "fair-a", "run": "sleep 60", "resources": {"cpus": 16}}),
        dora.submit(
            {
                "name": "fair-d",
                "run": "sleep 60",
                "resources": {"cpus": 2, "accelerators": "A100:1"},
            }
        ),
        dora.submit({"name": "waits", "run": "true", "resources": {"cpus": 4096}}),  # fits nowhere
    ]
    try:
        for job, client in zip(jobs[:2], (network.client, dora), strict=True):
            until(lambda j=job, c=client: c.job(j["id"])["state"] == "RUNNING", "the job runs")
        fair = api(network, "/v1/pool/fairness", network.admin.token)
        page = signed_in(tab.page, network.admin.token)
        open_page(page, network, "money")
        expect(page.locator("#fair-h")).to_be_visible(timeout=WAIT_MS)
        rows = page.locator("table.fairness tbody tr")
        expect(rows).to_have_count(len(fair["tenants"]))
        by = {t["account"]: t for t in fair["tenants"]}
        assert {"alice", "dora"} <= set(by) and by["dora"]["queued"] == 1
        for t in fair["tenants"]:
            row = page.locator(f'table.fairness tr[data-account="{t["account"]}"]')
            expect(row.locator('[data-field="weight"]')).to_have_text(num(t["weight"]))
            expect(row.locator('[data-field="running"]')).to_have_text(str(t["running"]))
            expect(row.locator('[data-field="queued"]')).to_have_text(str(t["queued"]))
            dominant = row.locator('[data-field="dominant"]').inner_text()
            if t["dominant_resource"] is None:
                assert dominant == "–"
            else:
                shown, resource = dominant.split(" ")
                assert resource == t["dominant_resource"]
                assert close_to(percent(shown), t["dominant_share"], 3)  # one decimal of a %
            entitled = row.locator('[data-field="entitled"]').inner_text()
            if t["entitled_share"] is None:
                assert entitled == "–"
            else:
                assert close_to(percent(entitled), t["entitled_share"], 3)
        assert close_to(float(page.locator("#jain").inner_text()), fair["jain_index"], 2)
        bars = page.locator('ul.bars.paired li[data-label="dora"] .bar-track')
        expect(bars).to_have_count(2)  # share next to entitlement
        screenshot(page, "money-operator")
    finally:
        for job, client in zip(jobs, (network.client, dora, dora), strict=True):
            client.cancel(job["id"])
        quiet(network)


def test_the_utilization_chart_draws_stored_history_after_a_reload(
    network: LiveNetwork, tab: Tab
) -> None:
    token = network.client.token

    def stored() -> list[dict[str, Any]]:
        totals: list[dict[str, Any]] = api(network, "/v1/pool/history", token, since=0)["total"]
        return totals

    until(lambda: len(stored()) >= 2, "the gateway stored two samples")
    page = signed_in(tab.page, token)
    open_page(page, network, "pool")
    page.evaluate("window.__firstDocument = true")
    loaded = time.time()
    page.reload()
    chart = page.locator("#util-chart")
    expect(chart).to_have_attribute("data-first", re.compile(r"^\d"), timeout=WAIT_MS)
    assert page.evaluate("window.__firstDocument") is None  # a new page: nothing kept in memory
    first = stored()[0]["at"]
    assert float(chart.get_attribute("data-first") or "nan") == first
    assert first < loaded  # taken before this page was (re)loaded: it came from the gateway
    count = int(chart.get_attribute("data-stored") or 0)
    assert count >= 2
    for series in ("cpu", "mem", "acc"):  # memory is stored too, not only seen while open
        path = page.locator(f"#util-chart svg.chart path.series.{series}").get_attribute("d")
        assert (path or "").count("L") + 1 >= count, series  # a vertex per stored sample
    # and it keeps reading new samples while open, without a reload
    until(lambda: int(chart.get_attribute("data-stored") or 0) > count, "a new sample appeared")
    screenshot(page, "pool-history")
