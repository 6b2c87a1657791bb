"""Identity commands: login, tokens, and the operator's accounts and users."""

from __future__ import annotations

from typing import Annotated

import typer

from c2net.cli import render
from c2net.cli.config import resolve_gateway, save_credentials
from c2net.cli.jobs import GatewayOpt, JsonOpt, _call, _client
from c2net.cli.render import console, fail, print_json, safe, table
from c2net.client import Client

__all__ = ["register"]

token_app = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)
account_app = typer.Typer(help="Accounts (operators).", no_args_is_help=True)
user_app = typer.Typer(help="Users (operators).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(token_app, name="token")
    app.add_typer(account_app, name="account")
    app.add_typer(user_app, name="user")

    @app.command()
    def login(
        token: Annotated[str, typer.Option(prompt=True, hide_input=True, help="an API token")],
        gateway: GatewayOpt = None,
    ) -> None:
        """Check a token against the gateway and remember it for later commands."""
        url = resolve_gateway(gateway)
        me = _call(Client(url, token).whoami)
        path = save_credentials(url, token)
        console.print(
            f"Signed in to {url} as {me['user']} ({me['role']}, account "
            f"{me['account']}); token saved in {path}"
        )

    @app.command()
    def whoami(gateway: GatewayOpt = None, as_json: JsonOpt = False) -> None:
        """The user, account and role behind the current token."""
        me = _call(_client(gateway).whoami)
        if as_json:
            print_json(me)
        else:
            console.print(f"{me['user']} ({me['role']}, account {me['account']})")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="a label")] = "",
    expires_days: Annotated[float | None, typer.Option(help="lifetime in days")] = None,
    user: Annotated[str | None, typer.Option(help="operators: for this user")] = None,
    gateway: GatewayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A new token; the secret is printed once."""
    out = _call(_client(gateway).create_token, name, expires_days, user)
    if as_json:
        print_json(out)
    else:
        console.print(f"token for {out['user']} (shown once, keep it safe):")
        console.print(out["token"], soft_wrap=True)


@token_app.command("agent")
def token_agent(
    center: str,
    user: Annotated[str | None, typer.Option(help="operators: the provider's user")] = None,
    gateway: GatewayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A token for one center's agent (providers; operators name the provider's user)."""
    out = _call(_client(gateway).create_agent_token, center, user)
    if as_json:
        print_json(out)
    else:
        console.print(f"agent token for center {center} (shown once):")
        console.print(out["token"], soft_wrap=True)


@token_app.command("list")
def token_list(gateway: GatewayOpt = None, as_json: JsonOpt = False) -> None:
    """Your tokens (operators: all), never their secrets."""
    rows = _call(_client(gateway).tokens)
    if as_json:
        print_json(rows)
        return
    t = table("ID", "USER", "NAME", "PREFIX", "CENTER", "CREATED", "EXPIRES", "REVOKED")
    for r in rows:
        t.add_row(
            str(r["id"]),
            r["user"],
            r["name"],
            r["prefix"] + "...",
            r["center"] or "-",
            render.when(r["created_at"]),
            render.when(r["expires_at"]),
            render.when(r["revoked_at"]),
        )
    console.print(t)


@token_app.command("revoke")
def token_revoke(token_id: int, gateway: GatewayOpt = None) -> None:
    """Revoke a token at once."""
    _call(_client(gateway).revoke_token, token_id)
    console.print(f"token {token_id} revoked")


@account_app.command("create")
def account_create(
    name: str,
    kind: Annotated[str, typer.Option(help="consumer, provider or operator")] = "consumer",
    credit_limit: Annotated[float, typer.Option(help="credit allowed below zero")] = 0.0,
    gateway: GatewayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an account (operators)."""
    out = _call(_client(gateway).create_account, name, kind, credit_limit)
    if as_json:
        print_json(out)
    else:
        console.print(f"account {out['name']} ({out['kind']}) created")


def _quota(value: str | None, name: str) -> float | None:
    """A quota option: a number, or `none` to lift the limit."""
    if value is None or value.lower() == "none":
        return None
    try:
        number = float(value)
    except ValueError:
        fail(f"{name}: expected a number or `none`, got {value!r}", 2)
    if number < 0:
        fail(f"{name}: expected a number >= 0 or `none`, got {value!r}", 2)
    return number


@account_app.command("set")
def account_set(
    name: str,
    weight: Annotated[float | None, typer.Option(help="fair-share weight (operators)")] = None,
    max_cpus: Annotated[str | None, typer.Option(help="quota: cpus in use, or none")] = None,
    max_memory_gb: Annotated[str | None, typer.Option(help="quota: memory GB, or none")] = None,
    max_accelerators: Annotated[
        str | None, typer.Option(help="quota: devices in use, or none")
    ] = None,
    home: Annotated[str | None, typer.Option(help="home hub ('' for none)")] = None,
    gateway: GatewayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set an account's weight, quotas and home hub (a consumer may set its own home)."""
    policy: dict[str, float | int | str | None] = {}
    if weight is not None:
        policy["weight"] = weight
    for key, value in (("max_cpus", max_cpus), ("max_memory_gb", max_memory_gb)):
        if value is not None:
            policy[key] = _quota(value, f"--{key.replace('_', '-')}")
    if max_accelerators is not None:
        devices = _quota(max_accelerators, "--max-accelerators")
        policy["max_accelerators"] = None if devices is None else int(devices)
    if home is not None:
        policy["home"] = home
    if not policy:
        fail(
            "nothing to set: give --weight, --max-cpus, --max-memory-gb, "
            "--max-accelerators or --home",
            2,
        )
    client = _client(gateway)
    out = _call(lambda: client.set_account_policy(name, **policy))
    if as_json:
        print_json(out)
    else:
        console.print(_policy_line(safe(out)))


@account_app.command("list")
def account_list(gateway: GatewayOpt = None, as_json: JsonOpt = False) -> None:
    """Accounts with their weights, quotas and homes (operators: all; others: their own)."""
    rows = _call(_client(gateway).accounts)
    if as_json:
        print_json(rows)
        return
    t = table("NAME", "KIND", "WEIGHT", "MAX CPUS", "MAX MEM GB", "MAX DEVICES", "HOME")
    for a in safe(rows):
        t.add_row(
            a["name"],
            a["kind"],
            f"{a['weight']:g}",
            *(_limit(a[k]) for k in ("max_cpus", "max_memory_gb", "max_accelerators")),
            a["home"] or "-",
        )
    console.print(t)


def _limit(value: object) -> str:
    return "-" if value is None else f"{value:g}"


def _policy_line(a: dict[str, object]) -> str:
    quotas = ", ".join(
        f"{k}={_limit(a[k])}" for k in ("max_cpus", "max_memory_gb", "max_accelerators")
    )
    return f"account {a['name']}: weight {a['weight']}, {quotas}, home {a['home'] or '-'}"


@user_app.command("create")
def user_create(
    name: str,
    account: Annotated[str, typer.Option(help="the account the user belongs to")],
    gateway: GatewayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a user with a first token (operators); the token is printed once."""
    out = _call(_client(gateway).create_user, name, account)
    if as_json:
        print_json(out)
    else:
        console.print(f"user {name} created; first token (shown once):")
        console.print(out["token"], soft_wrap=True)
