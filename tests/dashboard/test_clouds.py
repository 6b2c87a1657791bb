"""A cloud region on the dashboard's pool page: nodes on demand, what its VMs hold, its prices
per whole VM, and no capacity added to the pool's totals. Its own gateway (the shared network
stays the built-in one): a unit-priced center and a catalogue region, no agents."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from c2net.network import center_to_dict, parse_center
from tests.builders import center, node
from tests.dashboard.conftest import LiveNetwork
from tests.dashboard.pages import WAIT_MS, num, open_page, signed_in, unit_price
from tests.fixtures.browser import Tab
from tests.fixtures.gateway import LiveGateway

pytestmark = pytest.mark.slow


def test_a_cloud_region_shows_vm_prices_and_adds_no_capacity(
    gateway: LiveGateway, tab: Tab
) -> None:
    hall = center("hall", (2, node(8, 32)))
    cloud = parse_center({"name": "ali", "catalog": {"source": "alicloud", "region": "cn-beijing"}})
    for c in (hall, cloud):
        gateway.agent(c.name).register(center_to_dict(c), {})
    page = signed_in(tab.page, gateway.client.token)
    open_page(page, LiveNetwork(gateway, []), "pool")
    listed = {c["name"]: c for c in gateway.client.centers()}
    card = page.locator('article.center[data-center="ali"]')
    expect(card).to_contain_text("nodes on demand", timeout=WAIT_MS)
    expect(card.locator('[data-metric="cpus"] .usage-value')).to_have_text("0 in use")
    vms = sorted(
        (p for p in listed["ali"]["pools"] if p.get("price") is not None), key=lambda p: p["price"]
    )
    shown = card.locator(".prices [data-price^='node:'] dt")
    expect(shown).to_have_text([p["name"] for p in vms[:5]])
    for p in vms[:5]:
        dd = card.locator(f'[data-price="node:{p["name"]}"] dd')
        expect(dd).to_have_text(f"{unit_price(p['price'])}/h")
    expect(card.locator('[data-price="more"] dd')).to_have_text(
        f"{len(vms) - 5} more instance types"
    )
    expect(card.locator('[data-price="cpu"]')).to_have_count(0)
    # the pool's CPU total is the listed centers' alone
    cpus = listed["hall"]["capacity"]["cpus"]
    expect(page.locator(".tile", has_text="CPUs in use").locator(".big")).to_have_text(
        f"0 / {num(cpus)}"
    )
