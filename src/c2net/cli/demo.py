"""`c2net demo`: the whole network on this machine, a mixed workload, where it ran and what it
cost against a naive federation, and the bill. Exits 0 only if all of that checks out."""

from __future__ import annotations

import tempfile
import time
from decimal import Decimal
from typing import Annotated, Any

import typer

from c2net.cli import render
from c2net.cli.jobs import print_bill
from c2net.cli.launcher import start_network, stop_network
from c2net.cli.render import console, table
from c2net.client import Client
from c2net.market import attempt_cost, money
from c2net.model import TERMINAL, JobSpec, Resources, parse_accelerators
from c2net.network import load_network, parse_center
from c2net.scheduler import QueuedJob, Snapshot, schedule

__all__ = ["naive_price", "register", "workload"]

IMPOSSIBLE = "H100"


def workload() -> list[JobSpec]:
    """At least 30 jobs: CPU-only and GPU shapes, some kept in the east, one nobody can run."""
    shapes: list[tuple[str, float, float, str | None, tuple[str, ...], int]] = [
        # name, cpus, memory GB, accelerators, regions, count
        ("etl", 2, 4, None, (), 8),
        ("render", 8, 32, None, (), 4),
        ("api-batch", 1, 2, None, ("east",), 4),
        ("bigmem", 16, 200, None, (), 2),
        ("train-a100", 8, 64, "A100:1", (), 3),
        ("train-a100x8", 32, 400, "A100:8", (), 1),
        ("infer-east", 4, 16, "A100:1", ("east",), 2),
        ("infer-t4", 4, 16, "T4:1", (), 2),
        ("finetune-a10", 8, 32, "A10:2", (), 2),
        ("sim-v100", 8, 32, "V100:1", (), 1),
        ("embed-l20", 16, 64, "L20:4", (), 1),
        ("llm-h20", 16, 96, "H20:1", ("west",), 1),
        ("frontier", 8, 64, f"{IMPOSSIBLE}:1", (), 1),
    ]
    specs = []
    for name, cpus, mem, acc, regions, count in shapes:
        for i in range(count):
            seconds = 1 + (i % 3) * 0.5
            specs.append(
                JobSpec(
                    run=f'echo "{name}-{i} on node $C2NET_NODE devices=$CUDA_VISIBLE_DEVICES"; '
                    f"sleep {seconds}; echo done",
                    name=f"{name}-{i}",
                    resources=Resources(cpus, mem, parse_accelerators(acc)),
                    regions=regions,
                    runtime_hours=2.0,
                )
            )
    return specs


def naive_price(spec: JobSpec, snapshot: Snapshot) -> tuple[str, float] | None:
    """Where a plain federation would run it (the first center that fits) and its price/h."""
    plan = schedule(snapshot, [QueuedJob(0, spec)], "first-fit")
    if not plan.placements:
        return None
    p = plan.placements[0]
    return p.center, p.price_per_hour


def _wait_all(client: Client, ids: list[int], skip: int, timeout: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        jobs = [client.job(i) for i in ids]
        if all(j["state"] in TERMINAL for j in jobs if j["id"] != skip):
            return jobs
        if time.monotonic() > deadline:
            return jobs
        time.sleep(0.5)


def run_demo(timeout: float = 45.0) -> bool:
    centers = [parse_center(c) for c in load_network(None)]
    idle = Snapshot.idle(centers)
    with tempfile.TemporaryDirectory(prefix="c2net-demo-") as tmp:
        started = time.monotonic()
        console.print(f"Starting a gateway and {len(centers)} centers on loopback ...")
        net = start_network(tmp, None)
        try:
            client = Client(net.gateway, net.tokens["user"])
            console.print(f"  up in {time.monotonic() - started:.1f}s at {net.gateway}")
            specs = workload()
            ids = [client.submit(s)["id"] for s in specs]
            stuck = ids[[s.name for s in specs].index("frontier-0")]
            console.print(f"Submitted {len(ids)} jobs; waiting for them to finish ...")
            jobs = _wait_all(client, ids, stuck, timeout)
            bill = client.bill()
            ok = _report(jobs, specs, idle, stuck, bill)
        finally:
            stop_network(net)
        console.print(f"Done in {time.monotonic() - started:.1f}s; network stopped.")
        return ok


def _report(
    jobs: list[dict[str, Any]],
    specs: list[JobSpec],
    idle: Snapshot,
    stuck: int,
    bill: dict[str, Any],
) -> bool:
    t = table(
        "JOB",
        "NAME",
        "ASKS",
        "ALLOWED",
        "STATE",
        "RAN AT",
        "ROLE",
        "SECONDS",
        "COST",
        "NAIVE AT",
        "NAIVE COST",
        title="Where each job ran",
    )
    roles = {c.name: c.role for c in idle.centers}
    ours, naive = Decimal(0), Decimal(0)
    ok = True
    for job, spec in zip(jobs, specs, strict=True):
        if job["id"] == stuck:
            continue
        ok &= job["state"] == "SUCCEEDED"
        base = naive_price(spec, idle)
        base_cost = attempt_cost(base[1], job["wall_seconds"]) if base else Decimal(0)
        ours += Decimal(str(job["cost"]))
        naive += base_cost
        t.add_row(
            str(job["id"]),
            job["name"],
            render.res(job["spec"]["resources"]),
            ",".join(spec.regions) or "any",
            render.state(job["state"]),
            job["center"] or "-",
            roles.get(job["center"] or "", "-"),
            f"{job['wall_seconds']:.2f}",
            money(job["cost"]),
            base[0] if base else "-",
            money(base_cost),
        )
    console.print(t)
    pending = next(j for j in jobs if j["id"] == stuck)
    console.print(
        f"\nJob {stuck} ({pending['name']}) is {render.state(pending['state'])}: "
        f"{pending['reason']}"
    )
    ok &= pending["state"] == "PENDING" and IMPOSSIBLE in pending["reason"]
    saved = (1 - ours / naive) * 100 if naive else Decimal(0)
    console.print(
        f"\nc2net total {money(ours)} vs naive first-fit federation {money(naive)} "
        f"for the same work: {saved:.1f}% less.\n"
    )
    print_bill(bill)
    ok &= abs(Decimal(str(bill["total"])) - ours) < Decimal("0.0001")
    if not ok:
        console.print(
            "[red]demo check failed: a job did not succeed, the impossible job was "
            "not pending with its reason, or the bill does not match the jobs[/]"
        )
    return ok


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        timeout: Annotated[float, typer.Option(help="seconds to wait for the jobs")] = 45.0,
    ) -> None:
        """Start a national network on loopback, run a mixed workload, show costs and the bill."""
        if not run_demo(timeout):
            raise typer.Exit(1)
