"""The dashboard in headless Chromium against a live network (gateway + eight in-thread agents
running jobs as local processes). The page signs in with consumer alice's token, and every
number it shows is checked against the REST API called with the same token at the same moment,
never against a number written here."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from prometheus_client.parser import text_string_to_metric_families

from c2net.client import Client
from tests.dashboard.conftest import LiveNetwork
from tests.dashboard.pages import (
    POLL_MS,
    WAIT_MS,
    money,
    num,
    open_page,
    quiet,
    signed_in,
    unit_price,
    wait_until,
    yuan,
)
from tests.fixtures.browser import PHONE, Tab, screenshot

pytestmark = pytest.mark.slow


def test_pool_shows_every_center_as_the_api_does(network: LiveNetwork, tab: Tab) -> None:
    quiet(network)
    # One running job, so "used" differs from zero somewhere and the page must show it.
    job = network.client.submit(
        {"name": "holder", "run": "sleep 60", "resources": {"cpus": 8, "accelerators": "A100:4"}}
    )
    wait_until(lambda: network.client.job(job["id"])["state"] == "RUNNING", "the job runs")
    try:
        page = signed_in(tab.page, network.client.token)
        open_page(page, network, "pool")
        centers = network.client.centers()
        expect(page.locator("article.center")).to_have_count(len(centers), timeout=WAIT_MS)
        assert sum(c["running_jobs"] for c in centers) == 1, (
            [(c["name"], c["running_jobs"]) for c in centers],
            [
                (a["number"], a["state"], a["reason"], a["started_at"], a["assigned_at"])
                for a in network.client.job(job["id"])["attempts"]
            ],
        )
        for c in centers:
            card = page.locator(f'article.center[data-center="{c["name"]}"]')
            value = card.locator('[data-metric="cpus"] .usage-value')
            expect(value).to_have_text(f"{num(c['used']['cpus'])} / {num(c['capacity']['cpus'])}")
            used, cap = c["used"]["memory_gb"], c["capacity"]["memory_gb"]
            mem = card.locator('[data-metric="memory"] .usage-value')
            expect(mem).to_have_text(f"{num(used)} / {num(cap)} GB")
            for kind, n in c["capacity"]["accelerators"].items():
                held = c["used"]["accelerators"].get(kind, 0)
                acc = card.locator(f'[data-metric="acc-{kind}"] .usage-value')
                expect(acc).to_have_text(f"{num(held)} / {num(n)}")
            expect(card.locator('[data-field="health"]')).to_have_text(c["health"].lower())
            expect(card.locator('[data-field="running"]')).to_have_text(
                f"{c['running_jobs']} running"
            )
            cpu_price = card.locator('[data-price="cpu"] dd')
            expect(cpu_price).to_have_text(f"{unit_price(c['prices']['cpu_hour'])}/h")
            for kind, p in c["prices"]["accelerator_hour"].items():
                dd = card.locator(f'[data-price="{kind}"] dd')
                expect(dd).to_have_text(f"{unit_price(p)}/h")
            expect(page.locator(f'svg.map g.hub[data-center="{c["name"]}"]')).to_have_count(1)
        screenshot(page, "pool")
    finally:
        network.client.cancel(job["id"])
        quiet(network)


def test_a_job_submitted_from_the_form_runs_to_succeeded_without_reload(
    network: LiveNetwork, tab: Tab
) -> None:
    quiet(network)
    page = tab.page
    sent: list[tuple[str, str | None]] = []
    page.on(
        "request",
        lambda r: sent.append((r.url, r.headers.get("authorization"))) if "/v1/" in r.url else None,
    )
    open_page(page, network, "pool")
    page.locator("#account > summary").click()
    token = network.client.token
    assert token
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    assert page.evaluate("localStorage.getItem('c2net.token')") == token
    sent.clear()  # from here on, every API call carries the token
    expect(page.locator("#account-label")).to_have_text("alice · consumer", timeout=WAIT_MS)

    page.get_by_role("link", name="Quote & submit").click()
    page.get_by_label("Name", exact=True).fill("from-the-form")
    page.get_by_label("Command", exact=True).fill(
        "echo hello from the dashboard; sleep 1; echo done"
    )
    page.get_by_label("CPUs", exact=True).fill("2")
    page.get_by_label("Memory (GB)").fill("2")
    page.get_by_role("button", name="Get quote").click()
    spec = {
        "run": "echo hello from the dashboard; sleep 1; echo done",
        "name": "from-the-form",
        "resources": {"cpus": 2, "memory": 2},
        "runtime": 1,
    }
    ranked = [o["center"] for o in network.client.quote(spec)["offers"]]
    rows = page.locator("table.offers tbody tr")
    expect(rows).to_have_count(len(ranked), timeout=WAIT_MS)
    assert [rows.nth(i).get_attribute("data-center") for i in range(len(ranked))] == ranked
    expect(page.locator("pre.code")).to_contain_text('"from-the-form"')
    screenshot(page, "submit")

    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Submit job").click()
    expect(page).to_have_url(re.compile(r"#/jobs/\d+$"), timeout=WAIT_MS)
    job_id = int(page.url.rsplit("/", 1)[1])
    assert network.client.job(job_id)["spec"] == spec

    expect(page.locator("#job-state")).to_have_text("SUCCEEDED", timeout=WAIT_MS)
    done = network.client.job(job_id)
    assert done["state"] == "SUCCEEDED"
    log = network.client.logs(job_id)["data"]
    assert log == "hello from the dashboard\ndone\n"
    expect(page.locator("#log")).to_have_text(log, timeout=WAIT_MS)
    expect(page.locator('[data-field="cost"]')).to_have_text(money(done["cost"]))
    expect(page.locator('[data-field="center"]')).to_have_text(done["center"])
    assert page.evaluate("window.__sameDocument") is True  # no reload on the way
    screenshot(page, "job")

    page.get_by_role("link", name="Jobs", exact=True).click()
    row = page.locator(f'tr[data-job="{job_id}"]')
    expect(row.locator('[data-field="state"]')).to_have_text("SUCCEEDED", timeout=WAIT_MS)
    expect(row.locator('[data-field="cost"]')).to_have_text(money(done["cost"]))
    screenshot(page, "jobs")

    assert sent and {auth for _, auth in sent} == {f"Bearer {token}"}


def test_a_pending_job_says_why_and_can_be_cancelled(network: LiveNetwork, tab: Tab) -> None:
    job = network.client.submit({"run": "true", "resources": {"accelerators": "H100:1"}})
    wait_until(lambda: bool(network.client.job(job["id"])["exclusions"]), "the job was scheduled")
    pending = network.client.job(job["id"])
    page = signed_in(tab.page, network.client.token)
    open_page(page, network, f"jobs/{job['id']}")
    expect(page.locator('[data-field="reason"]')).to_have_text(pending["reason"], timeout=WAIT_MS)
    rows = page.locator("table.exclusions tbody tr")
    expect(rows).to_have_count(len(pending["exclusions"]))
    for e in pending["exclusions"]:
        row = page.locator(f'table.exclusions tr[data-center="{e["center"]}"]')
        expect(row).to_contain_text(e["code"])
        expect(row).to_contain_text(e["detail"])
    screenshot(page, "job-pending")
    page.get_by_role("button", name=f"Cancel job {job['id']}").click()
    expect(page.locator("#job-state")).to_have_text("CANCELLED", timeout=WAIT_MS)
    assert network.client.job(job["id"])["state"] == "CANCELLED"


def balance(net: LiveNetwork) -> dict[str, Any]:
    out: dict[str, Any] = net.client._call("GET", "/v1/balance")
    return out


def test_the_bill_page_matches_the_api_and_changes_live(network: LiveNetwork, tab: Tab) -> None:
    topup = {"account": "alice", "amount": "100.00", "memo": "dashboard test"}
    network.admin._call("POST", "/v1/topups", json=topup)
    first = network.client.submit({"name": "billed", "run": "sleep 0.5", "resources": {"cpus": 4}})
    network.client.wait(first["id"], timeout=30)
    quiet(network)
    page = signed_in(tab.page, network.client.token)
    open_page(page, network, "money")
    bill = network.client.bill()
    assert bill["total"] > 0
    expect(page.locator("#bill-total")).to_have_text(money(bill["total"]), timeout=WAIT_MS)
    before = balance(network)  # alice's own account, in yuan (¥)
    assert (before["account"], before["currency"]) == ("alice", "CNY")
    expect(page.locator("#balance")).to_have_text(yuan(before["balance"]))
    expect(page.locator("#credit-limit")).to_have_text(yuan(before["credit_limit"]))
    expect(page.locator("#currency")).to_have_text("CNY (¥)")
    expect(page.locator("#bill-lines-total")).to_have_text(money(bill["total"]))
    expect(page.locator("table.lines tbody tr")).to_have_count(len(bill["lines"]))
    for center, amount in bill["by_center"].items():
        cell = page.locator(f'table.centers-money tr[data-center="{center}"] [data-field="amount"]')
        expect(cell).to_have_text(money(amount))
    screenshot(page, "money")

    page.evaluate("window.__sameDocument = true")
    second = network.client.submit({"name": "more", "run": "sleep 0.5", "resources": {"cpus": 4}})
    network.client.wait(second["id"], timeout=30)
    quiet(network)
    after = network.client.bill()
    assert after["total"] > bill["total"]
    expect(page.locator("#bill-total")).to_have_text(money(after["total"]), timeout=WAIT_MS)
    expect(page.locator("table.lines tbody tr")).to_have_count(len(after["lines"]))
    # charges are rounded to the fen (a half-second job may cost nothing): a top-up moves it
    network.admin._call("POST", "/v1/topups", json={"account": "alice", "amount": "5.25"})
    now = balance(network)
    assert now["balance"] != before["balance"]
    expect(page.locator("#balance")).to_have_text(yuan(now["balance"]), timeout=WAIT_MS)
    # fairness is for operators: the API refuses alice, and the page shows no such panel
    alice = {"Authorization": f"Bearer {network.client.token}"}
    assert httpx.get(f"{network.url}/v1/pool/fairness", headers=alice).status_code == 403
    expect(page.locator("#fair-h")).to_be_hidden()
    assert page.evaluate("window.__sameDocument") is True


def test_a_provider_sees_its_centers_revenue(network: LiveNetwork, tab: Tab) -> None:
    job = network.client.submit({"name": "earns", "run": "sleep 0.5", "resources": {"cpus": 4}})
    center = network.client.wait(job["id"], timeout=30)["center"]
    quiet(network)
    token = network.admin.create_token(name="dashboard", user=f"prov-{center}")["token"]
    provider = Client(network.url, token)
    try:
        revenue = provider.bill()  # the API's answer for this token: its centers' work only
        assert set(revenue["by_center"]) == {center} and revenue["total"] > 0
        page = signed_in(tab.page, token)
        open_page(page, network, "money")
        expect(page.locator("#bill-total")).to_have_text(money(revenue["total"]), timeout=WAIT_MS)
        cell = page.locator(f'table.centers-money tr[data-center="{center}"] [data-field="amount"]')
        expect(cell).to_have_text(money(revenue["by_center"][center]))
        expect(page.locator("#fair-h")).to_be_hidden()  # fairness is the operators'
    finally:
        provider.close()


def test_metrics_parse_and_match_the_api(network: LiveNetwork) -> None:
    quiet(network)
    admin = {"Authorization": f"Bearer {network.admin.token}"}
    text = httpx.get(f"{network.url}/metrics", headers=admin).text
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    jobs = network.admin.jobs()  # the operator sees every account's jobs, as /metrics counts
    by_state = Counter(j["state"] for j in jobs)
    for state in ("PENDING", "ASSIGNED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "LOST"):
        assert samples[("c2net_jobs", (("state", state),))] == by_state.get(state, 0)
    assert samples[("c2net_jobs_submitted_total", ())] == len(jobs)
    for c in network.admin.centers():
        key = (("center", c["name"]),)
        assert samples[("c2net_center_capacity_cpus", key)] == c["capacity"]["cpus"]
        assert samples[("c2net_center_used_cpus", key)] == c["used"]["cpus"]
        assert samples[("c2net_center_healthy", key)] == (c["health"] == "HEALTHY")
    bill = network.admin.bill()
    for center, amount in bill["by_center"].items():
        revenue = samples[("c2net_revenue", (("center", center), ("currency", bill["currency"])))]
        assert revenue == pytest.approx(amount, abs=1e-6)


_NAMELESS_CONTROLS = """() => [...document.querySelectorAll('input, select, textarea, button, a')]
  .filter((el) => el.offsetParent !== null)
  .filter((el) => {
    const by = el.getAttribute('aria-labelledby');
    const name = el.getAttribute('aria-label') || el.title
      || (by && by.split(' ').map((id) => document.getElementById(id)?.textContent).join(' '))
      || [...(el.labels || [])].map((l) => l.textContent).join(' ')
      || (['BUTTON', 'A'].includes(el.tagName) ? el.textContent : '');
    return !String(name || '').trim();
  })
  .map((el) => el.outerHTML.slice(0, 120))"""


def test_every_page_fits_a_phone_and_names_its_controls(network: LiveNetwork, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    page = signed_in(context.new_page(), network.client.token)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        for route, ready in (
            ("pool", "article.center"),
            ("jobs", "table.jobs"),
            ("submit", "table.offers"),
            ("money", "table.lines"),
        ):
            open_page(page, network, route)
            expect(page.locator(ready).first).to_be_visible(timeout=WAIT_MS)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{route}: the page scrolls sideways by {overflow}px on a phone"
            assert page.evaluate(_NAMELESS_CONTROLS) == [], f"{route}: controls without a name"
            if route == "pool":
                screenshot(page, "pool-phone", full_page=False)
    finally:
        context.close()
    assert not errors


def test_without_a_token_the_page_shows_what_the_api_says(network: LiveNetwork, tab: Tab) -> None:
    page = tab.page
    page.goto(f"{network.url}/?poll={POLL_MS}#/jobs")
    detail = httpx.get(f"{network.url}/v1/jobs").json()["detail"]
    expect(page.locator("[role=alert]").first).to_have_text(f"Sign in: {detail}", timeout=WAIT_MS)
    expect(page.locator("#account-label")).to_have_text("Sign in")
