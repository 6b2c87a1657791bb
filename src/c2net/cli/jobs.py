"""Consumer commands: submit, quote, jobs, status, logs, wait, cancel, centers (the bill and
other money commands are in cli/money.py)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from c2net.cli import render
from c2net.cli.config import resolve_gateway, resolve_token
from c2net.cli.render import console, fail, print_json, table
from c2net.client import C2netError, Client
from c2net.model import JobSpec, SpecError, load_spec, parse_spec

__all__ = ["register"]

GatewayOpt = Annotated[
    str | None, typer.Option("--gateway", "-g", help="gateway URL", show_default=False)
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]


def _client(gateway: str | None) -> Client:
    url = resolve_gateway(gateway)
    return Client(url, resolve_token(url))


def _call(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except C2netError as exc:
        fail(exc.message, 2 if exc.status in (400, 422) else 1)


def build_spec(
    spec_file: str | None,
    command: list[str] | None,
    *,
    cpus: float | None,
    memory: float | None,
    gpus: str | None,
    regions: list[str] | None,
    max_price: float | None,
    name: str | None,
    runtime: float | None,
    env: list[str] | None,
) -> JobSpec:
    """A spec from a file and/or flags; flags override the file."""
    data: dict[str, Any] = {}
    if spec_file:
        path = Path(spec_file)
        if not path.exists():
            fail(f"spec file {spec_file} not found", 2)
        try:
            data = load_spec(path.read_text()).to_dict()
        except SpecError as exc:
            fail(f"{spec_file}: {exc}", 2)
    if command:
        data["run"] = command[0] if len(command) == 1 else shlex.join(command)
    resources = data.setdefault("resources", {})
    flags: dict[str, object] = {"cpus": cpus, "memory": memory, "accelerators": gpus}
    resources.update({k: v for k, v in flags.items() if v is not None})
    flags = {"regions": regions, "max_price": max_price, "name": name, "runtime": runtime}
    data.update({k: v for k, v in flags.items() if v is not None})
    for item in env or []:
        k, sep, v = item.partition("=")
        if not sep:
            fail(f"--env {item!r}: expected NAME=VALUE", 2)
        data.setdefault("envs", {})[k] = v
    try:
        return parse_spec(data)
    except SpecError as exc:
        fail(str(exc), 2)


def register(app: typer.Typer) -> None:
    @app.command()
    def submit(
        args: Annotated[
            list[str] | None, typer.Argument(help="[SPEC.yaml] [-- COMMAND...]", show_default=False)
        ] = None,
        cpus: Annotated[float | None, typer.Option(help="cpus")] = None,
        memory: Annotated[float | None, typer.Option(help="memory in GB")] = None,
        gpus: Annotated[str | None, typer.Option(help="accelerators, TYPE:N")] = None,
        region: Annotated[list[str] | None, typer.Option(help="allowed hub/region/role")] = None,
        max_price: Annotated[float | None, typer.Option(help="max price per hour")] = None,
        name: Annotated[str | None, typer.Option(help="job name")] = None,
        runtime: Annotated[float | None, typer.Option(help="estimated hours")] = None,
        env: Annotated[list[str] | None, typer.Option(help="NAME=VALUE")] = None,
        quote: Annotated[str | None, typer.Option(help="hold a quote's prices (its id)")] = None,
        budget: Annotated[str | None, typer.Option(help="cap on the job's total, CNY")] = None,
        gateway: GatewayOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Submit a job from a spec file and/or flags, e.g. `c2net submit --cpus 1 -- echo hi`."""
        args = list(args or [])
        spec_file = None
        if args and Path(args[0]).suffix in (".yaml", ".yml", ".json"):
            spec_file = args.pop(0)
        spec = build_spec(
            spec_file,
            args,
            cpus=cpus,
            memory=memory,
            gpus=gpus,
            regions=region,
            max_price=max_price,
            name=name,
            runtime=runtime,
            env=env,
        )
        if quote or budget:
            from c2net.cli.money import submit_with_terms  # money's commands import this module

            job = _call(submit_with_terms, _client(gateway), spec, quote, budget)
        else:
            job = _call(_client(gateway).submit, spec)
        if as_json:
            print_json(job)
        else:
            job = render.safe(job)
            console.print(f"Submitted job [bold]{job['id']}[/] ({job['name']}): {job['state']}")
            if job.get("warning"):
                render.err_console.print(f"[yellow]warning:[/] {job['warning']}")

    @app.command("jobs")
    def list_jobs(
        state: Annotated[str | None, typer.Option(help="filter: PENDING,RUNNING,...")] = None,
        gateway: GatewayOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """The queue and recent jobs, like squeue."""
        jobs = _call(_client(gateway).jobs, state)
        if as_json:
            print_json(jobs)
            return
        jobs = render.safe(jobs)
        t = table("ID", "NAME", "STATE", "CENTER", "RESOURCES", "WALL", "COST", "REASON")
        for j in jobs:
            t.add_row(
                str(j["id"]),
                j["name"],
                render.state(j["state"]),
                j["center"] or "-",
                render.res(j["spec"]["resources"]),
                f"{j['wall_seconds']:.1f}s",
                render.cost(j["cost"]),
                _waiting(j) if j["state"] == "PENDING" else "",
            )
        console.print(t)

    @app.command()
    def status(job_id: int, gateway: GatewayOpt = None, as_json: JsonOpt = False) -> None:
        """One job: state, center, reason, attempts, exit code, usage and cost."""
        j = _call(_client(gateway).job, job_id)
        if as_json:
            print_json(j)
            return
        j = render.safe(j)
        console.print(
            f"Job [bold]{j['id']}[/] {j['name']}: {render.state(j['state'])}"
            + (f" at {j['center']}" if j["center"] else "")
        )
        console.print(
            f"  resources: {render.res(j['spec']['resources'])}   run: {j['spec']['run']}"
        )
        if j["reason"]:
            code = f" [{j['reason_code']}]" if j.get("reason_code") else ""
            console.print(f"  reason{code}: {j['reason']}")
        if j.get("estimated_start") is not None:
            console.print(f"  estimated start: {render.moment(j['estimated_start'])}")
        for e in j["exclusions"]:
            console.print(f"    {e['center']}: {e['detail']}")
        if j["exit_code"] is not None:
            console.print(f"  exit code: {j['exit_code']}")
        console.print(f"  wall: {j['wall_seconds']:.2f}s   cost: {render.cost(j['cost'])}")
        for a in j["attempts"]:
            console.print(
                f"  attempt {a['number']}: {a['center']} node {a['node']} "
                f"{render.state(a['state'])} {render.cost(a['price_per_hour'])}/h "
                f"started {render.when(a['started_at'])} ended {render.when(a['ended_at'])} "
                f"{a['reason']}"
            )

    @app.command()
    def logs(
        job_id: int,
        follow: Annotated[
            bool, typer.Option("--follow", "-f", help="stream until it ends")
        ] = False,
        gateway: GatewayOpt = None,
    ) -> None:
        """The job's output (stdout and stderr)."""
        client = _client(gateway)
        if not follow:
            sys.stdout.write(_call(client.logs, job_id)["data"])
            return
        try:
            for chunk in client.follow_logs(job_id):
                sys.stdout.write(chunk)
                sys.stdout.flush()
        except C2netError as exc:
            fail(exc.message)

    @app.command()
    def wait(
        job_id: int,
        timeout: Annotated[float | None, typer.Option(help="seconds")] = None,
        gateway: GatewayOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Block until the job ends; exit with the job's exit code."""
        try:
            j = _call(_client(gateway).wait, job_id, timeout)
        except TimeoutError as exc:
            fail(str(exc), 124)
        if as_json:
            print_json(j)
        elif j["state"] != "SUCCEEDED":
            render.err_console.print(f"job {job_id} {j['state']}: {render.safe(j['reason'])}")
        if j["state"] == "SUCCEEDED":
            raise typer.Exit(0)
        raise typer.Exit(j["exit_code"] or 1)

    @app.command()
    def cancel(job_id: int, gateway: GatewayOpt = None, as_json: JsonOpt = False) -> None:
        """Cancel a job; a running one is killed with its whole process group."""
        j = _call(_client(gateway).cancel, job_id)
        if as_json:
            print_json(j)
        else:
            console.print(f"Job {job_id}: {j['state']} ({render.safe(j['reason'])})")

    @app.command()
    def centers(gateway: GatewayOpt = None, as_json: JsonOpt = False) -> None:
        """The pool: every center's capacity, free resources, prices and health."""
        cs = _call(_client(gateway).centers)
        if as_json:
            print_json(cs)
            return
        cs = render.safe(cs)
        t = table(
            "CENTER",
            "HUB",
            "ROLE",
            "HEALTH",
            "NODES",
            "FREE / CAPACITY",
            "CPU/H",
            "ACCEL/H",
            "HEARTBEAT",
        )
        for c in cs:
            emulated = (
                " [dim](emulated)[/]" if c["emulated"] and c["capacity"]["accelerators"] else ""
            )
            accel = ", ".join(f"{k} {v:g}" for k, v in c["prices"]["accelerator_hour"].items())
            rented = sorted(p["price"] for p in c["pools"] if p.get("price") is not None)
            if rented:  # whole nodes (cloud VMs): the range of their prices per node-hour
                accel = f"per node {rented[0]:.4g}-{rented[-1]:.4g} ({len(rented)} types)"
            room = f"{render.res(c['free'])} / {render.res(c['capacity'])}{emulated}"
            t.add_row(
                c["name"],
                c["hub"],
                c["role"],
                render.state(c["health"]),
                "on demand" if c["elastic"] else str(c["nodes"]),
                f"on demand{emulated}" if c["elastic"] else room,
                "-" if rented else f"{c['prices']['cpu_hour']:g}",
                accel or "-",
                f"{c['seconds_since_heartbeat']:.0f}s ago",
            )
        console.print(t)


def print_bill(b: dict[str, Any]) -> None:
    t = table(
        "JOB",
        "NAME",
        "TRY",
        "CENTER",
        "RESOURCES",
        "STATE",
        "SECONDS",
        "PRICE/H",
        "COST",
        title="Bill",
    )
    for x in b["lines"]:
        t.add_row(
            str(x["job_id"]),
            x["job_name"],
            str(x["attempt"]),
            x["center"],
            x["resources"],
            x["state"] + ("" if x["billed"] else " (not billed)"),
            f"{x['wall_seconds']:.2f}",
            render.cost(x["price_per_hour"]),
            render.cost(x["cost"]),
        )
    console.print(t)
    for center, amount in b["by_center"].items():
        console.print(f"  {center:<14} {render.cost(amount)}")
    console.print(
        f"[bold]Total {render.cost(b['total'], b['currency'])}[/] for "
        f"{b['wall_seconds']:.1f} billed seconds over {len(b['lines'])} attempts"
    )


def _waiting(job: dict[str, Any]) -> str:
    """A pending job's reason and, when known, its estimated start (like squeue --start)."""
    start = job.get("estimated_start")
    if start is None:
        return str(job["reason"])
    return f"{job['reason']}; estimated start {render.moment(start)}"
