"""Terminal output: rich tables and one-line errors. Only the CLI prints."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from c2net.market import money

__all__ = ["STATE_STYLE", "console", "fail", "print_json", "res", "safe", "table", "when"]

# Piped output (scripts, tests, CI logs) gets wide lines instead of rich's 80-column default.
_WIDTH = None if sys.stdout.isatty() else 200
console = Console(highlight=False, width=_WIDTH)
err_console = Console(stderr=True, highlight=False, width=_WIDTH)

STATE_STYLE = {
    "PENDING": "yellow",
    "ASSIGNED": "cyan",
    "RUNNING": "blue",
    "SUCCEEDED": "green",
    "FAILED": "red",
    "CANCELLED": "magenta",
    "LOST": "red",
    "HEALTHY": "green",
    "UNHEALTHY": "red",
}


def safe(data: Any) -> Any:
    """The API's data with every string escaped for rich markup: names, reasons and details
    come from users and agents, and must print as written, never as styling."""
    if isinstance(data, str):
        return escape(data)
    if isinstance(data, dict):
        return {k: safe(v) for k, v in data.items()}
    if isinstance(data, list):
        return [safe(v) for v in data]
    return data


def fail(message: str, code: int = 1) -> NoReturn:
    """One readable line on stderr and a non-zero exit."""
    err_console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def table(*columns: str, title: str | None = None) -> Table:
    t = Table(title=title, header_style="bold", box=None, pad_edge=False)
    for c in columns:
        t.add_column(c, overflow="fold")
    return t


def state(s: str) -> str:
    return f"[{STATE_STYLE.get(s, 'white')}]{s}[/]"


def res(r: dict[str, Any]) -> str:
    parts = [f"{r.get('cpus', 0):g}c", f"{r.get('memory_gb', r.get('memory', 0)):g}G"]
    parts += [f"{k}:{v}" for k, v in (r.get("accelerators") or {}).items()]
    return " ".join(parts)


def when(ts: float | None) -> str:
    return "-" if ts is None else datetime.fromtimestamp(ts).strftime("%H:%M:%S")


def moment(ts: float) -> str:
    """A date and time in UTC (like squeue --start)."""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def cost(amount: float, currency: str = "CNY") -> str:
    return money(amount, currency)
