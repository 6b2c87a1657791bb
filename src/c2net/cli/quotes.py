"""Quotes and explanations: what a job would cost where, and why a center will not take it."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import typer

from c2net.cli import render
from c2net.cli.jobs import GatewayOpt, JsonOpt, _call, _client, build_spec
from c2net.cli.render import console, fail, print_json, table
from c2net.market.usage import yuan_text
from c2net.model import JobSpec

__all__ = ["print_quote", "register"]


def _catalog_quote(spec: JobSpec, files: list[str], top: int, as_json: bool) -> None:
    """Rank offers straight from catalogue files: compare clouds before joining anything."""
    from c2net.market.clouds import load_tables, rank_offers

    try:
        pool = load_tables(files)
    except (OSError, ValueError, KeyError) as exc:
        fail(f"--catalog: {exc}", 2)
    ranked = rank_offers(pool, spec)
    offers = [o.__dict__ for o in ranked.top(top)]
    if as_json:
        print_json({"offers": offers, "matching": len(ranked), "message": ranked.message})
        return
    t = table(
        "CLOUD",
        "REGION",
        "INSTANCE",
        "ACCEL",
        "PRICE/H (USD)",
        "EST. HOURS",
        "EST. COST (USD)",
        title=f"{len(ranked)} offers for {spec.resources.describe()}",
    )
    for o in offers:
        t.add_row(
            o["cloud"],
            o["region"],
            render.safe(o["instance_type"]),
            f"{o['accelerator']}:{o['count']}" if o["accelerator"] else "-",
            f"{o['price_per_hour']:.4f}",
            f"{o['estimated_hours']:.2f}",
            f"{o['estimated_cost']:.4f}",
        )
    console.print(t)
    if ranked.message:
        console.print(f"[yellow]No offer matches:[/] {render.safe(ranked.message)}")


def _yuan(value: object) -> str:
    return yuan_text(Decimal(str(value)))


def _hardware(o: dict[str, Any]) -> str:
    """`pool: A100:1 x 2 nodes`, or the pool and `cpu only`."""
    per_node = f"{o['accelerator']}:{o['accelerator_count']}" if o["accelerator"] else "cpu only"
    nodes = f" x {o['nodes']} nodes" if o["nodes"] > 1 else ""
    return f"{o['pool']}: {per_node}{nodes}"


def _cost(o: dict[str, Any]) -> str:
    """The estimate, its time-of-use periods and the egress of inputs moved."""
    parts = [
        f"{p['period']} {Decimal(p['seconds']) / 3600:.2f}h@{_yuan(p['price_per_hour'])}"
        for p in o["periods"]
    ]
    parts += [f"egress {e['gb']} GB@{_yuan(e['price_per_gb'])}" for e in o["egress"]]
    return f"{_yuan(o['estimated_cost'])} ({', '.join(parts)})" if parts else "-"


def print_quote(q: dict[str, Any], title: str) -> None:
    """A quote as `POST /v1/quotes` answers it (escaped for rich markup by the caller)."""
    t = table(
        "CENTER", "HUB", "HARDWARE", "PRICE/H NOW", "EST. COST", "START", "CO2 KG", title=title
    )
    for o in q["offers"]:
        t.add_row(
            o["center"],
            f"{o['hub']} ({o['role']})",
            _hardware(o),
            _yuan(o["price_per_hour"]),
            _cost(o),
            "now" if o["available_now"] else "busy",
            f"{o['carbon_kg']:.3f}",
        )
    console.print(t)
    if q.get("clouds"):
        _print_clouds(q)
    for e in q["excluded"]:
        console.print(f"  [dim]excluded[/] {e['center']}: {e['detail']}")
    for w in q["warnings"]:
        console.print(f"  [yellow]warning:[/] {w}")
    if q["message"]:
        console.print(f"[yellow]No center can run it now:[/] {q['message']}")
    if q["estimated_start"] is not None:
        console.print(f"  estimated start: {render.moment(q['estimated_start'])}")
    console.print(
        f"Quote [bold]{q['quote_id']}[/] holds these prices for {q['valid_seconds'] / 60:.0f} "
        f"minutes (until {render.when(q['valid_until'])}): "
        f"c2net submit --quote {q['quote_id']} ..."
    )


def _print_clouds(q: dict[str, Any]) -> None:
    """Clouds' catalogue list prices beside the network's offers, one ranking for both."""
    best = min((float(o["estimated_cost"]) for o in q["offers"]), default=None)
    t = table(
        "CLOUD",
        "REGION",
        "INSTANCE",
        "PRICE/H",
        "EST. COST",
        "VS. BEST CENTER",
        title=f"Clouds at catalogue list prices ({q['currency']}; not placed by this network)",
    )
    for c in q["clouds"]:
        ratio = "-" if not best else f"{c['estimated_cost'] / best:.2f}x"
        t.add_row(
            c["cloud"],
            c["region"],
            c["instance_type"],
            _yuan(c["price_per_hour"]),
            _yuan(c["estimated_cost"]),
            ratio,
        )
    console.print(t)


def register(app: typer.Typer) -> None:
    @app.command()
    def quote(
        spec_file: Annotated[str | None, typer.Argument(help="SPEC.yaml")] = None,
        cpus: Annotated[float | None, typer.Option()] = None,
        memory: Annotated[float | None, typer.Option()] = None,
        gpus: Annotated[str | None, typer.Option()] = None,
        region: Annotated[list[str] | None, typer.Option()] = None,
        max_price: Annotated[float | None, typer.Option()] = None,
        runtime: Annotated[float | None, typer.Option()] = None,
        catalog: Annotated[
            list[str] | None,
            typer.Option(
                help="rank offers from SkyPilot-style catalogue CSV files (or gcp, azure, lambda, "
                "vast, alicloud, tencentcloud), with no gateway"
            ),
        ] = None,
        top: Annotated[int, typer.Option(help="offers to show with --catalog")] = 10,
        gateway: GatewayOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Ranked offers for a job, cheapest first, and why other centers are excluded."""
        spec = build_spec(
            spec_file,
            ["true"] if not spec_file else None,
            cpus=cpus,
            memory=memory,
            gpus=gpus,
            regions=region,
            max_price=max_price,
            name=None,
            runtime=runtime,
            env=None,
        )
        if catalog:
            _catalog_quote(spec, catalog, top, as_json)
            return
        q = _call(_client(gateway).quote, spec)
        if as_json:
            print_json(q)
            return
        print_quote(render.safe(q), f"Quote for {render.safe(spec.resources.describe())}")

    @app.command()
    def explain(job_id: int, gateway: GatewayOpt = None, as_json: JsonOpt = False) -> None:
        """Per center: the filter that rejects the job, or its rank, price and estimated cost
        (like condor_q -better-analyze)."""
        out = _call(_client(gateway).explain, job_id)
        if as_json:
            print_json(out)
            return
        out = render.safe(out)
        console.print(f"Job {job_id} is {render.state(out['state'])}: {out['reason']}")
        t = table("CENTER", "HUB", "ROLE", "VERDICT", "PRICE/H", "EST. HOURS", "EST. COST")
        for r in out["centers"]:
            if r["code"] is None:
                verdict = f"rank {r['rank']}" + ("" if r["available_now"] else " (busy)")
            else:
                verdict = f"[red]{r['filter'] or r['code']}[/]: {r['detail']}"
            t.add_row(
                r["center"],
                r["hub"],
                r["role"],
                verdict,
                "-" if r["price_per_hour"] is None else render.cost(r["price_per_hour"]),
                "-" if r["estimated_hours"] is None else f"{r['estimated_hours']:.2f}",
                "-" if r["estimated_cost"] is None else render.cost(r["estimated_cost"]),
            )
        console.print(t)
