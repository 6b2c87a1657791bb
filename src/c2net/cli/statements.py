"""Statement commands: bill, invoice (consumers), settlement (providers), revenue (operators)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from c2net.cli import render
from c2net.cli.money import AccountOpt, GatewayOpt, JsonOpt, MonthOpt, call, money_client, yuan
from c2net.cli.render import console, print_json, table
from c2net.market.invoice import bill_csv, invoice_html
from c2net.market.statements import Bill, BillLine

__all__ = ["print_statement", "register"]

JSON = dict[str, Any]


def _price(x: JSON, currency: str) -> str:
    """Per hour for usage lines, per GB for egress lines."""
    if x.get("price_per_gb") is not None:
        return f"{yuan(x['price_per_gb'], currency)}/GB"
    return "" if x["price_per_hour"] is None else f"{yuan(x['price_per_hour'], currency)}/h"


def _quantity(x: JSON) -> str:
    if x.get("gb") is not None:
        return f"{x['gb']} GB"
    return "" if x["seconds"] is None else f"{x['seconds']} s"


def print_statement(b: JSON) -> None:
    b = render.safe(b)  # job names and notes are the users' words
    cur = b["currency"]
    t = table(
        "JOB", "NAME", "TRY", "CENTER", "STATE", "PERIOD", "PRICE", "QUANTITY", "AMOUNT", "NOTE",
        title=f"Bill {b['account']} {b['month']}",
    )  # fmt: skip
    for x in b["lines"]:
        t.add_row(
            str(x["job_id"]),
            x["job_name"],
            str(x["attempt"]),
            x["center"],
            x["state"],
            x["period"] or x["kind"],
            _price(x, cur),
            _quantity(x),
            yuan(x["amount"], cur),
            x["note"],
        )
    console.print(t)
    console.print(f"[bold]Total {yuan(b['total'], cur)}[/] over {len(b['lines'])} lines")
    console.print(
        f"  opening {yuan(b['opening'], cur)} + payments {yuan(b['payments'], cur)} - refunds "
        f"{yuan(b['refunds'], cur)} - usage {yuan(b['total'], cur)} = closing "
        f"{yuan(b['closing'], cur)}"
    )


def _bill(b: JSON) -> Bill:
    """A bill from its JSON form (amounts are exact decimal strings)."""

    def dec(v: object) -> Decimal | None:
        return None if v is None else Decimal(str(v))

    lines = tuple(
        BillLine(
            job_id=x["job_id"],
            job_name=x["job_name"],
            attempt=x["attempt"],
            center=x["center"],
            state=x["state"],
            kind=x["kind"],
            period=x["period"],
            price_per_hour=dec(x["price_per_hour"]),
            seconds=dec(x["seconds"]),
            amount=Decimal(str(x["amount"])),
            note=x["note"],
            gb=dec(x.get("gb")),
            price_per_gb=dec(x.get("price_per_gb")),
        )
        for x in b["lines"]
    )
    return Bill(
        b["account"],
        b["month"],
        b["currency"],
        lines,
        Decimal(str(b["opening"])),
        Decimal(str(b["payments"])),
        Decimal(str(b["refunds"])),
        Decimal(str(b["closing"])),
    )


def _write(path: str, text: str) -> None:
    Path(path).write_text(text, encoding="utf-8")
    console.print(f"wrote {render.safe(path)}")


def register(app: typer.Typer) -> None:
    @app.command()
    def bill(
        month: MonthOpt = None,
        csv_file: Annotated[str | None, typer.Option("--csv", help="also write CSV")] = None,
        account: AccountOpt = None,
        gateway: GatewayOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Your bill for a month: per job, attempt and price period (price x seconds) and per
        dataset moved (egress: GB x price), adding up to the total."""
        b = call(money_client(gateway).bill_statement, month, account)
        if as_json:
            print_json(b)
        else:
            print_statement(b)
        if csv_file:
            _write(csv_file, bill_csv(_bill(b)))

    @app.command()
    def invoice(
        month: MonthOpt = None,
        html_file: Annotated[str | None, typer.Option("--html", help="HTML file")] = None,
        csv_file: Annotated[str | None, typer.Option("--csv", help="CSV file")] = None,
        account: AccountOpt = None,
        gateway: GatewayOpt = None,
    ) -> None:
        """Write the month's invoice as HTML and CSV (invoice-ACCOUNT-MONTH.html/.csv)."""
        b = call(money_client(gateway).bill_statement, month, account)
        stem = f"invoice-{b['account']}-{b['month']}"
        number = f"INV-{b['account']}-{b['month'].replace('-', '')}"
        issued = datetime.now().strftime("%Y-%m-%d")
        _write(html_file or f"{stem}.html", invoice_html(_bill(b), number, issued))
        _write(csv_file or f"{stem}.csv", bill_csv(_bill(b)))

    @app.command()
    def settlement(
        month: MonthOpt = None,
        account: AccountOpt = None,
        gateway: GatewayOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Providers: revenue per center and resource type (egress included), fees, payouts
        and what is owed."""
        s = call(money_client(gateway).settlement, month, account)
        if as_json:
            print_json(s)
            return
        s = render.safe(s)
        cur = s["currency"]
        t = table("CENTER", "RESOURCE", "GROSS", "FEE", "NET", title=f"Settlement {s['month']}")
        for c in s["centers"]:
            t.add_row(
                c["center"], "all", yuan(c["gross"], cur), yuan(c["fee"], cur), yuan(c["net"], cur)
            )
            for resource, net in c["by_resource"].items():
                t.add_row("", render.safe(resource), "", "", yuan(net, cur))
        console.print(t)
        console.print(
            f"[bold]Gross {yuan(s['gross'], cur)} - fees {yuan(s['fees'], cur)} = "
            f"payable {yuan(s['net'], cur)}[/]; paid out {yuan(s['paid_out'], cur)}; "
            f"owed now {yuan(s['owed'], cur)}"
        )

    @app.command()
    def revenue(
        month: MonthOpt = None, gateway: GatewayOpt = None, as_json: JsonOpt = False
    ) -> None:
        """Operators: the month's usage, fee income, losses, money in and out, and the
        balances outstanding."""
        r = call(money_client(gateway).operator_statement, month)
        if as_json:
            print_json(r)
            return
        r = render.safe(r)
        console.print(f"[bold]Network {r['month']}[/]")
        for key in ("charged", "waived", "provider_revenue", "fee_income", "topups", "refunds",
                    "payouts"):  # fmt: skip
            console.print(f"  {key.replace('_', ' '):<18} {yuan(r[key])}")
        for title, key in (("owed by consumers", "outstanding"), ("owed to providers", "payable")):
            for name, amount in r[key].items():
                console.print(f"  {title:<18} {render.safe(name)}: {yuan(amount)}")
