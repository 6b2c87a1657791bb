"""Money commands: balance, topup, refund, payout, events, tariff and market settings; the
SDK's money calls (MoneyClient) and the helpers `submit --quote/--budget` uses. Statements (bill,
invoice, settlement, revenue): cli/statements.py."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from c2net.cli import render
from c2net.cli.config import resolve_gateway, resolve_token
from c2net.cli.render import console, fail, print_json, table
from c2net.client import C2netError, Client
from c2net.model import JobSpec

__all__ = [
    "AccountOpt",
    "GatewayOpt",
    "JsonOpt",
    "MoneyClient",
    "MonthOpt",
    "call",
    "money_client",
    "register",
    "submit_with_terms",
    "yuan",
]

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
    """The SDK's money calls (REST: /v1/balance, /v1/topups, /v1/orders, /v1/statements/*,
    /v1/events, ...; quotes: Client.quote)."""

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


def money_client(gateway: str | None) -> MoneyClient:
    url = resolve_gateway(gateway)
    return MoneyClient(url, resolve_token(url))


def call(fn: Any, *args: Any, **kwargs: Any) -> Any:
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


def register(app: typer.Typer) -> None:
    @app.command()
    def balance(
        account: AccountOpt = None, gateway: GatewayOpt = None, as_json: JsonOpt = False
    ) -> None:
        """Your balance, credit and what your running jobs burn; why new jobs are held."""
        b = call(money_client(gateway).balance, account)
        if as_json:
            print_json(b)
            return
        b = render.safe(b)
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
        t = call(money_client(None).move_money, kind, account, _amount(amount), reference, memo)
        who = render.safe(account)
        console.print(f"{kind[:-1]} {yuan(amount)} for {who}: transaction {t['id']}")

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
    def events(
        after: Annotated[int, typer.Option(help="only events after this id")] = 0,
        gateway: GatewayOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Notices about money: low balance, held and stopped work, budgets, top-ups."""
        found = call(money_client(gateway).events, after)
        if as_json:
            print_json(found)
            return
        t = table("ID", "WHEN", "KIND", "JOB", "MESSAGE")
        for e in render.safe(found):  # messages quote names users chose
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
        print_json(call(money_client(gateway).tariff, center, body))

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
        print_json(call(money_client(gateway).market_settings, **changes))
