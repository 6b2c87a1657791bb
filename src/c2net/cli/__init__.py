"""The command line: a thin layer over the SDK (c2net.client)."""

from __future__ import annotations

import typer

from c2net.cli import data, demo, identity, jobs, money, quotes, services, simulate, statements

__all__ = ["app", "main"]

app = typer.Typer(
    name="c2net",
    help="c2net: one pool of compute centers; describe the work once, it runs on the cheapest.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
services.register(app)
jobs.register(app)
quotes.register(app)
demo.register(app)
identity.register(app)
data.register(app)
simulate.register(app)
money.register(app)
statements.register(app)


def main() -> None:
    app()
