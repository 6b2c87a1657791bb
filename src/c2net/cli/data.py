"""Dataset commands: tell the network where data sits (`c2net data register NAME ...`)."""

from __future__ import annotations

from typing import Annotated

import typer

from c2net.cli.jobs import GatewayOpt, JsonOpt, _call, _client
from c2net.cli.render import console, print_json, safe, table

__all__ = ["register"]

data_app = typer.Typer(
    help="Datasets: which center holds what, so jobs run near their inputs.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")


@data_app.command("register")
def data_register(
    name: str,
    center: Annotated[str, typer.Option(help="the center that holds it")],
    size_gb: Annotated[float, typer.Option(help="its size in GB")],
    gateway: GatewayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a dataset held at a center; jobs name it in `inputs`."""
    out = _call(_client(gateway).register_dataset, name, center, size_gb)
    if as_json:
        print_json(out)
    else:
        d = safe(out)
        console.print(f"dataset {d['name']} ({d['size_gb']:g} GB) registered at {d['center']}")


@data_app.command("list")
def data_list(gateway: GatewayOpt = None, as_json: JsonOpt = False) -> None:
    """Your datasets (operators: all)."""
    rows = _call(_client(gateway).datasets)
    if as_json:
        print_json(rows)
        return
    t = table("NAME", "CENTER", "SIZE GB", "ACCOUNT")
    for d in safe(rows):
        t.add_row(d["name"], d["center"], f"{d['size_gb']:g}", d["account"])
    console.print(t)


@data_app.command("rm")
def data_rm(name: str, gateway: GatewayOpt = None) -> None:
    """Forget a dataset (jobs that name it wait until it is registered again)."""
    _call(_client(gateway).delete_dataset, name)
    console.print(f"dataset {safe(name)} removed")
