"""The report: `summary.json` and a self-contained `report.html` (plots as base64 PNG).

The HTML table is rendered from the very dicts written to the JSON, with the same keys, so
what the page shows is what the JSON says.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from c2net.sim import plots
from c2net.sim.metrics import Metrics
from c2net.sim.scenario import Scenario

__all__ = ["TABLE_COLUMNS", "summary", "write_report"]

# (JSON key, column heading) of the per-policy table, in both the HTML and the CLI.
TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("cost", "cost"),
    ("cost_per_unit_hour", "cost / device-h"),
    ("cost_lower_bound", "cost lower bound"),
    ("cost_bound_method", "bound by"),
    ("cost_lower_bound_simple", "simple bound"),
    ("wait_mean_s", "wait mean s"),
    ("wait_p50_s", "wait p50 s"),
    ("wait_p95_s", "wait p95 s"),
    ("wait_p99_s", "wait p99 s"),
    ("makespan_h", "makespan h"),
    ("utilization", "utilization"),
    ("jain_fairness", "Jain fairness"),
    ("west_share", "west share"),
    ("carbon_kg", "CO2 kg"),
    ("mean_rtt_ms", "RTT to home ms"),
    ("unplaceable", "unplaceable"),
    ("failed", "failed"),
    ("preemptions", "preemptions"),
    ("lost_to_failures", "lost to failures"),
)


def summary(scenario: Scenario, runs: Sequence[Metrics]) -> dict[str, Any]:
    """The JSON summary: the scenario in brief and one entry per policy."""
    return {
        "scenario": scenario.name,
        "seed": scenario.seed,
        "jobs": len(scenario.arrivals),
        "centers": [
            {
                "name": c.name,
                "hub": c.hub,
                "role": c.role,
                "nodes": c.node_count,
                "capacity": c.capacity.to_dict(),
            }
            for c in scenario.centers
        ],
        "policies": {m.policy: m.summary() for m in runs},
    }


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _cell(value: object) -> str:
    """A number as JSON writes it; a word (the bound's method) as it is."""
    return html.escape(value if isinstance(value, str) else json.dumps(value))


def _table(data: dict[str, Any]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for _, h in TABLE_COLUMNS)
    rows = []
    for name, m in data["policies"].items():
        cells = "".join(f'<td data-key="{k}">{_cell(m[k])}</td>' for k, _ in TABLE_COLUMNS)
        rows.append(
            f'<tr data-policy="{html.escape(name)}"><th>{html.escape(name)}</th>{cells}</tr>'
        )
    return f"<table><tr><th>policy</th>{head}</tr>{''.join(rows)}</table>"


_STYLE = (
    "body{font-family:sans-serif;margin:2em;max-width:1200px}"
    "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px}"
    "td{text-align:right}img{max-width:100%;display:block;margin:1em 0}"
)


def _html(data: dict[str, Any], runs: Sequence[Metrics]) -> str:
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>c2net simulate: "
        f"{html.escape(data['scenario'])}</title><style>{_STYLE}</style></head><body>",
        f"<h1>c2net simulate: {html.escape(data['scenario'])}</h1>",
        f"<p>{data['jobs']} jobs, {len(data['centers'])} centers, seed {data['seed']}. "
        "Every policy ran on the identical arrival sequence. Numbers below are those of "
        "summary.json.</p>",
        _table(data),
        "<h2>Cost and wait per policy</h2>",
        _img(plots.cost_and_wait(runs), "cost and wait per policy"),
        "<h2>Wait-time CDF</h2>",
        _img(plots.wait_cdf(runs), "wait-time CDF"),
        "<h2>Fairness across tenants</h2>",
        _img(plots.fairness(runs), "Jain's fairness index per policy"),
        "<h2>Utilization per hub over time</h2>",
        *(_img(plots.utilization_heatmap(m), f"utilization heat map, {m.policy}") for m in runs),
        "</body></html>",
    ]
    return "\n".join(parts)


def write_report(out: Path, scenario: Scenario, runs: Sequence[Metrics]) -> tuple[Path, Path]:
    """Write summary.json and report.html into `out` (created); return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    data = summary(scenario, runs)
    json_path, html_path = out / "summary.json", out / "report.html"
    json_path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    html_path.write_text(_html(data, runs))
    return json_path, html_path
