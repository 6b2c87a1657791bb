"""A month's bill as documents: CSV (one row a line, then the total) and a self-contained HTML
invoice. Pure: strings from a c2net.market.statements.Bill."""

from __future__ import annotations

import csv
import html
import io
from decimal import Decimal

from c2net.market.statements import Bill, BillLine
from c2net.market.usage import yuan_text

__all__ = ["bill_csv", "invoice_html"]


def _blank(value: Decimal | None) -> Decimal | str:
    return "" if value is None else value


def bill_csv(bill: Bill) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(
        ["job", "name", "attempt", "center", "state", "kind", "period", "price_per_hour",
         "seconds", "amount", "note", "gb", "price_per_gb"]
    )  # fmt: skip
    for x in bill.lines:
        w.writerow(
            [x.job_id, x.job_name, x.attempt, x.center, x.state, x.kind, x.period,
             _blank(x.price_per_hour), _blank(x.seconds), x.amount, x.note, _blank(x.gb),
             _blank(x.price_per_gb)]
        )  # fmt: skip
    w.writerow(["total", "", "", "", "", "", "", "", "", bill.total, bill.currency])
    return out.getvalue()


def _price(x: BillLine) -> str:
    """Per hour for usage lines, per GB for egress lines."""
    if x.price_per_gb is not None:
        return f"{x.price_per_gb}/GB"
    return "" if x.price_per_hour is None else f"{x.price_per_hour}/h"


def _quantity(x: BillLine) -> str:
    if x.gb is not None:
        return f"{x.gb} GB"
    return "" if x.seconds is None else f"{x.seconds} s"


def invoice_html(bill: Bill, number: str, issued: str) -> str:
    """A self-contained HTML invoice for the month's bill."""
    e = html.escape
    rows = "\n".join(
        f"<tr><td>{x.job_id}</td><td>{e(x.job_name)}</td><td>{x.attempt}</td>"
        f"<td>{e(x.center)}</td><td>{e(x.period or x.kind)}</td>"
        f"<td class=n>{e(_price(x))}</td><td class=n>{e(_quantity(x))}</td>"
        f"<td class=n>{e(yuan_text(x.amount, bill.currency))}</td><td>{e(x.note)}</td></tr>"
        for x in bill.lines
    )

    def money(amount: Decimal) -> str:
        return e(yuan_text(amount, bill.currency))

    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Invoice {e(number)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left}}.n{{text-align:right}}
</style></head><body>
<h1>Invoice {e(number)}</h1>
<p>c2net computing power network &middot; account <b>{e(bill.account)}</b> &middot;
period {e(bill.month)} &middot; issued {e(issued)} &middot; currency {e(bill.currency)}</p>
<table><thead><tr><th>Job</th><th>Name</th><th>Try</th><th>Center</th><th>Period</th>
<th class=n>Price</th><th class=n>Quantity</th><th class=n>Amount</th><th>Note</th></tr>
</thead>
<tbody>
{rows}
</tbody></table>
<p><b>Total due for {e(bill.month)}: {money(bill.total)}</b></p>
<p>Opening balance {money(bill.opening)} &middot; payments {money(bill.payments)} &middot;
refunds {money(bill.refunds)} &middot; usage {money(bill.total)} &middot;
closing balance {money(bill.closing)}</p>
</body></html>
"""
