"""`c2net simulate`: replay a trace over a network under several policies, side by side."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from c2net.sim import Metrics, compare, load_scenario, write_report

# The terminal table: the headline metrics (the report has them all).
_COLUMNS = (
    ("cost", "cost"),
    ("cost_per_unit_hour", "per device-h"),
    ("wait_p50_s", "wait p50 s"),
    ("wait_p95_s", "wait p95 s"),
    ("utilization", "util"),
    ("jain_fairness", "Jain"),
    ("west_share", "west"),
    ("carbon_kg", "CO2 kg"),
    ("unplaceable", "unplaceable"),
    ("preemptions", "preempted"),
)

__all__ = ["register"]


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"
    return str(value)


def _table(runs: list[Metrics]) -> Table:
    table = Table(title="c2net simulate: metrics per policy")
    width = max((len(m.policy) for m in runs), default=6)
    table.add_column("policy", style="bold", no_wrap=True, min_width=width)
    for _, heading in _COLUMNS:
        table.add_column(heading, justify="right")
    for m in runs:
        row = m.summary()
        table.add_row(m.policy, *(_cell(row[key]) for key, _ in _COLUMNS))
    return table


def simulate_command(
    scenario: str = typer.Option(
        "national",
        "--scenario",
        help="scenario YAML, or a built-in one by name: national (default), synthetic",
    ),
    policy: list[str] = typer.Option(
        [], "--policy", help="policy to run (repeat); default: the scenario's"
    ),
    out: Path = typer.Option(
        Path("sim-report"), "--out", help="directory for summary.json and report.html"
    ),
    seed: int | None = typer.Option(None, "--seed", help="override the scenario's seed"),
) -> None:
    """Replay a real trace over the network under each policy; print and write a report."""
    console = Console()
    try:
        sc = load_scenario(scenario, seed)
    except (OSError, ValueError, KeyError) as exc:
        console.print(f"[red]scenario: {exc}[/red]")
        raise typer.Exit(2) from exc
    names = policy or list(sc.policies)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} jobs"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        tasks: dict[str, TaskID] = {n: bar.add_task(n, total=len(sc.arrivals)) for n in names}

        def tick(name: str, done: int, total: int) -> None:
            bar.update(tasks[name], completed=done, total=total)

        try:
            runs = compare(sc, names, tick)
        except ValueError as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
    console.print(_table(runs))
    json_path, html_path = write_report(out, sc, runs)
    console.print(f"wrote {json_path} and {html_path}")


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_command)
