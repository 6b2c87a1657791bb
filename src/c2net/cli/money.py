"""Money commands: balance, topup, refund, payout, bill, invoice, settlement, revenue, events,
tariff and market settings; plus the helpers `submit --quote/--budget` and `quote` use."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from c2net.cli import render
from c2net.cli.config import resolve_gateway, resolve_token
from c2net.cli.render import console, fail, print_json, table
from c2net.client import C2netError, Client
from c2net.market.statements import Bill, BillLine, bill_csv, invoice_html
from c2net.model import JobSpec

__all__ = ["MoneyClient", "print_quote", "register", "submit_with_terms"]

JSON = dict[str, Any]
GatewayOpt = Annotated[
    str | None, typer.Option("--gateway", "-g", help="gateway URL", show_default=False)
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
MonthOpt = Annotated[
    str | None, typer.Option("--month", help="YYYY-MM (default: this month)", show_default=False)
]
AccountOpt = Annotated[
    str | None,
    typer.Option("--account", help="operators: another account", show_default=False),
]


class MoneyClient(Client):
    """The SDK's money calls (REST: /v1/balance, /v1/topups, /v1/quotes, /v1/orders,
    /v1/statements/*, /v1/events, ...)."""

    def _get(self, path: str, **params: Any) -> Any:
        return self._call("GET", path, params={k: v for k, v in params.items() if v is not None})

    def balance(self, account: str | None = None) -> JSON:
        out: JSON = self._get("/v1/balance", account=account)
        return out

    def move_money(
        self, kind: str, account: str, amount: Decimal, reference: str | None = None, memo: str = ""
    ) -> JSON:
        """kind: topups, refunds or payouts."""
        body = {"account": account, "amount": str(amount), "reference": reference, "memo": memo}
        out: JSON = self._call("POST", f"/v1/{kind}", json=body)
        return out

    def ledger(self, account: str | None = None, limit: int = 1000) -> list[JSON]:
        out: list[JSON] = self._get("/v1/ledger", account=account, limit=limit)
        return out

    def market_settings(self, **changes: Any) -> JSON:
        if not changes:
            out: JSON = self._call("GET", "/v1/market/settings")
            return out
        body = {k: str(v) if isinstance(v, Decimal) else v for k, v in changes.items()}
        out = self._call("PUT", "/v1/market/settings", json=body)
        return out

    def set_alert(self, threshold: Decimal | None, account: str | None = None) -> JSON:
        body = {"threshold": None if threshold is None else str(threshold), "account": account}
        out: JSON = self._call("PUT", "/v1/balance/alert", json=body)
        return out

    def tariff(self, center: str, tariff: JSON | None = None) -> JSON:
        if tariff is None:
            out: JSON = self._call("GET", f"/v1/centers/{center}/tariff")
            return out
        out = self._call("PUT", f"/v1/centers/{center}/tariff", json=tariff)
        return out

    def quote_with_id(self, spec: JobSpec | JSON, budget: Decimal | None = None) -> JSON:
        body = spec.to_dict() if isinstance(spec, JobSpec) else dict(spec)
        if budget is not None:
            body["budget"] = str(budget)
        out: JSON = self._call("POST", "/v1/quotes", json=body)
        return out

    def order(
        self,
        spec: JobSpec | JSON,
        *,
        quote: str | None = None,
        budget: Decimal | None = None,
        idempotency_key: str | None = None,
    ) -> JSON:
        body = {
            "spec": spec.to_dict() if isinstance(spec, JobSpec) else spec,
            "quote": quote,
            "budget": None if budget is None else str(budget),
        }
        key = idempotency_key or uuid.uuid4().hex
        out: JSON = self._call("POST", "/v1/orders", json=body, headers={"Idempotency-Key": key})
        return out

    def bill_statement(self, month: str | None = None, account: str | None = None) -> JSON:
        out: JSON = self._get("/v1/statements/bill", month=month, account=account)
        return out

    def settlement(self, month: str | None = None, account: str | None = None) -> JSON:
        out: JSON = self._get("/v1/statements/settlement", month=month, account=account)
        return out

    def operator_statement(self, month: str | None = None) -> JSON:
        out: JSON = self._get("/v1/statements/operator", month=month)
        return out

    def events(self, after: int = 0) -> list[JSON]:
        out: list[JSON] = self._get("/v1/events", after=after)
        return out


def _client(gateway: str | None) -> MoneyClient:
    url = resolve_gateway(gateway)
    return MoneyClient(url, resolve_token(url))


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except C2netError as exc:
        fail(exc.message, 2 if exc.status in (400, 422) else 1)


def _amount(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        fail(f"{text!r} is not an amount (for example 100 or 12.50)", 2)
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        fail(f"{text!r}: an amount is > 0 with at most two decimals (fen)", 2)
    return value


def yuan(value: object, currency: str = "CNY") -> str:
    """An exact amount from the API (a decimal string) with its currency symbol."""
    symbol = {"CNY": "¥", "USD": "$", "EUR": "€"}.get(currency, currency + " ")
    amount = Decimal(str(value))
    places = Decimal("0.01") if amount == amount.quantize(Decimal("0.01")) else Decimal("1e-6")
    return f"{'-' if amount < 0 else ''}{symbol}{abs(amount).quantize(places):,}"


def submit_with_terms(client: Client, spec: JobSpec, quote: str | None, budget: str | None) -> JSON:
    """What `c2net submit --quote ID --budget AMOUNT` sends (POST /v1/orders)."""
    money = MoneyClient(client.base_url, client.token)
    try:
        return money.order(spec, quote=quote, budget=None if budget is None else _amount(budget))
    finally:
        money.close()


def print_quote(q: JSON, title: str) -> None:
    t = table("CENTER", "HUB", "ROLE", "PRICE/H NOW", "EST. COST", "PERIODS", "START", title=title)
    for o in q["offers"]:
        periods = ", ".join(
            f"{p['period']} {Decimal(p['seconds']) / 3600:.2f}h@{yuan(p['price_per_hour'])}"
            for p in o["periods"]
        )
        t.add_row(
            o["center"],
            o["hub"],
            o["role"],
            yuan(o["price_per_hour"]),
            yuan(o["estimated_cost"]),
            periods,
            "now" if o["available_now"] else "busy",
        )
    console.print(t)
    for e in q["excluded"]:
        console.print(f"  [dim]excluded[/] {e['center']}: {e['detail']}")
    for w in q["warnings"]:
        console.print(f"  [yellow]warning:[/] {w}")
    if q["message"]:
        console.print(f"[yellow]No center can run it now:[/] {q['message']}")
    console.print(
        f"Quote [bold]{q['quote_id']}[/] holds these prices for {q['valid_seconds'] / 60:.0f} "
        f"minutes (until {render.when(q['valid_until'])}): "
        f"c2net submit --quote {q['quote_id']} ..."
    )


def print_statement(b: JSON) -> None:
    cur = b["currency"]
    t = table(
        "JOB", "NAME", "TRY", "CENTER", "STATE", "PERIOD", "PRICE/H", "SECONDS", "AMOUNT", "NOTE",
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
            "" if x["price_per_hour"] is None else yuan(x["price_per_hour"], cur),
            "" if x["seconds"] is None else x["seconds"],
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
    console.print(f"wrote {path}")


def register(app: typer.Typer) -> None:
    @app.command()
    def balance(
        account: AccountOpt = None, gateway: GatewayOpt = None, as_json: JsonOpt = False
    ) -> None:
        """Your balance, credit and what your running jobs burn; why new jobs are held."""
        b = _call(_client(gateway).balance, account)
        if as_json:
            print_json(b)
            return
        cur = b["currency"]
        console.print(
            f"{b['account']} ({b['kind']}): balance [bold]{yuan(b['balance'], cur)}[/], "
            f"credit {yuan(b['credit_limit'], cur)}, available {yuan(b['available'], cur)}"
        )
        if b["kind"] == "consumer":
            console.print(
                f"  running jobs cost {yuan(b['burn_per_hour'], cur)}/h; "
                f"alert below {yuan(b['alert_threshold'], cur)}"
            )
        if b["held"]:
            console.print(f"  [red]{b['held']}[/]")

    def _move(kind: str, account: str, amount: str, reference: str | None, memo: str) -> None:
        t = _call(_client(None).move_money, kind, account, _amount(amount), reference, memo)
        console.print(f"{kind[:-1]} {yuan(amount)} for {account}: transaction {t['id']}")

    @app.command()
    def topup(
        account: str,
        amount: str,
        reference: Annotated[str | None, typer.Option(help="payment id, booked once")] = None,
        memo: Annotated[str, typer.Option()] = "",
    ) -> None:
        """Operators: record money paid into a consumer's account, e.g. `topup alice 100`."""
        _move("topups", account, amount, reference, memo)

    @app.command()
    def refund(account: str, amount: str, memo: Annotated[str, typer.Option()] = "") -> None:
        """Operators: pay money back from a consumer's balance."""
        _move("refunds", account, amount, None, memo)

    @app.command()
    def payout(
        account: str,
        amount: str,
        reference: Annotated[str | None, typer.Option()] = None,
    ) -> None:
        """Operators: record a payment to a provider."""
        _move("payouts", account, amount, reference, "")

    @app.command()
    def bill(
        month: MonthOpt = None,
        csv_file: Annotated[str | None, typer.Option("--csv", help="also write CSV")] = None,
        account: AccountOpt = None,
        gateway: GatewayOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Your bill for a month: per job, attempt and price period (price x seconds), adding
        up to the total."""
        b = _call(_client(gateway).bill_statement, month, account)
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
        b = _call(_client(gateway).bill_statement, month, account)
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
        """Providers: revenue per center and resource type, fees, payouts and what is owed."""
        s = _call(_client(gateway).settlement, month, account)
        if as_json:
            print_json(s)
            return
        cur = s["currency"]
        t = table("CENTER", "RESOURCE", "GROSS", "FEE", "NET", title=f"Settlement {s['month']}")
        for c in s["centers"]:
            t.add_row(
                c["center"], "all", yuan(c["gross"], cur), yuan(c["fee"], cur), yuan(c["net"], cur)
            )
            for resource, net in c["by_resource"].items():
                t.add_row("", resource, "", "", yuan(net, cur))
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
        r = _call(_client(gateway).operator_statement, month)
        if as_json:
            print_json(r)
            return
        console.print(f"[bold]Network {r['month']}[/]")
        for key in ("charged", "waived", "provider_revenue", "fee_income", "topups", "refunds",
                    "payouts"):  # fmt: skip
            console.print(f"  {key.replace('_', ' '):<18} {yuan(r[key])}")
        for title, key in (("owed by consumers", "outstanding"), ("owed to providers", "payable")):
            for name, amount in r[key].items():
                console.print(f"  {title:<18} {name}: {yuan(amount)}")

    @app.command()
    def events(
        after: Annotated[int, typer.Option(help="only events after this id")] = 0,
        gateway: GatewayOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Notices about money: low balance, held and stopped work, budgets, top-ups."""
        found = _call(_client(gateway).events, after)
        if as_json:
            print_json(found)
            return
        t = table("ID", "WHEN", "KIND", "JOB", "MESSAGE")
        for e in found:
            t.add_row(
                str(e["id"]), render.when(e["at"]), e["kind"], str(e["job_id"] or ""), e["message"]
            )
        console.print(t)

    @app.command()
    def tariff(
        center: str,
        set_file: Annotated[
            str | None, typer.Option("--set", help="a YAML file with the new tariff")
        ] = None,
        gateway: GatewayOpt = None,
    ) -> None:
        """A center's price plan (time of use, spot, surcharge, egress); --set changes it for
        placements from now on."""
        body = None
        if set_file:
            data = yaml.safe_load(Path(set_file).read_text())
            body = data.get("tariff", data) if isinstance(data, dict) else data
        print_json(_call(_client(gateway).tariff, center, body))

    @app.command("market")
    def market_settings(
        fee_rate: Annotated[str | None, typer.Option(help="platform fee, e.g. 0.1")] = None,
        alert: Annotated[str | None, typer.Option(help="default alert threshold")] = None,
        grace: Annotated[float | None, typer.Option(help="brakes' grace seconds")] = None,
        brakes: Annotated[bool | None, typer.Option("--brakes/--no-brakes")] = None,
        gateway: GatewayOpt = None,
    ) -> None:
        """Show or set (operators) the fee rate, alert threshold and brakes."""
        changes: dict[str, Any] = {}
        if fee_rate is not None:
            changes["fee_rate"] = Decimal(fee_rate)
        if alert is not None:
            changes["alert_threshold"] = Decimal(alert)
        if grace is not None:
            changes["grace_seconds"] = grace
        if brakes is not None:
            changes["brakes"] = brakes
        print_json(_call(_client(gateway).market_settings, **changes))
