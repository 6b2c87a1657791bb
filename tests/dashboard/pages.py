"""What the dashboard's browser tests share: the page's polling, its number formats written out
in Python (so the page can be compared with the API), and opening a page signed in."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from decimal import Decimal

from playwright.sync_api import Page, expect

from tests.dashboard.conftest import LiveNetwork

__all__ = [
    "ACTIVE",
    "POLL_MS",
    "WAIT_MS",
    "close_to",
    "money",
    "num",
    "open_page",
    "percent",
    "quiet",
    "signed_in",
    "unit_price",
    "wait_until",
    "yuan",
]

POLL_MS = 300  # the page's polling interval in these tests (?poll=)
WAIT_MS = 30_000  # how long the page may take to show something (a deadline, not a threshold)
ACTIVE = "PENDING,ASSIGNED,RUNNING"


# The page's number formats (format.js), written out so the page can be compared with the API.
def num(x: float) -> str:
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def money(x: float) -> str:
    return f"¥{x:,.6f}"


def unit_price(x: float) -> str:
    text = f"{x:,.4f}"
    while text.endswith("0") and len(text.split(".")[1]) > 2:
        text = text[:-1]
    return f"¥{text}"


def wait_until(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.1)


def quiet(net: LiveNetwork) -> None:
    """Wait until no job is pending or running, so the API's numbers hold still."""
    wait_until(lambda: not net.admin.jobs(ACTIVE), "no job is active")


def open_page(page: Page, net: LiveNetwork, route: str) -> None:
    page.goto(f"{net.url}/?poll={POLL_MS}#/{route}")
    expect(page.locator("#live")).to_have_text(re.compile("^live"), timeout=WAIT_MS)


def signed_in(page: Page, token: str | None) -> Page:
    """The page's browser context starts every document with this token stored, as the
    sign-in form would leave it."""
    page.context.add_init_script(f"localStorage.setItem('c2net.token', {json.dumps(token)})")
    return page


def yuan(text: str) -> str:
    """An exact amount from the API (a decimal string), as the page shows it (format.exact)."""
    return f"¥{Decimal(text):,.6f}"


def percent(text: str) -> float:
    """A share as the page shows it ("12.5%", one decimal), back to a fraction."""
    assert text.endswith("%"), text
    return float(text[:-1]) / 100


def close_to(shown: float, exact: float, places: int) -> bool:
    """The page rounds to `places` decimals: `shown` is within half a unit of `exact`."""
    return abs(shown - exact) <= 0.5 * 10**-places + 1e-12
