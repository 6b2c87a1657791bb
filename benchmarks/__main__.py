"""python -m benchmarks [--quick] [NAME ...]: run benchmarks, print, record in docs."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import pkgutil
from pathlib import Path

from benchmarks.harness import Result, machine

ROOT = Path(__file__).resolve().parent
DOC = ROOT.parent / "docs" / "benchmarks.md"
MARK = "<!-- results: written by `make bench`, do not edit below -->"


def _modules(names: list[str]) -> list[str]:
    found = sorted(m.name for m in pkgutil.iter_modules([str(ROOT)]) if m.name.startswith("bench_"))
    return [m for m in found if not names or any(n in m for n in names)]


def _table(results: list[Result]) -> str:
    rows = [
        "| benchmark | case | c2net | baseline | baseline is | speed-up | notes |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        notes = ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in r.extra.items()
        )
        rows.append(
            f"| {r.benchmark} | {r.case} | {r.seconds * 1000:.2f} ms | "
            f"{r.baseline_seconds * 1000:.2f} ms | {r.baseline} | {r.speedup:.1f}x | "
            f"{notes} |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("names", nargs="*", help="run only benchmarks whose module matches")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--no-record", action="store_true", help="do not rewrite the docs")
    args = parser.parse_args()
    results: list[Result] = []
    for name in _modules(args.names):
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"running {name} ...", flush=True)
        results += module.run(quick=args.quick)
    table = _table(results)
    print(table)
    stamp = f"Run on {dt.date.today().isoformat()}, {machine()}" + (
        " (quick)" if args.quick else ""
    )
    full = not args.quick and not args.names  # a partial run never replaces the full record
    (ROOT / "results").mkdir(exist_ok=True)
    (ROOT / "results" / ("latest.json" if full else "partial.json")).write_text(
        json.dumps(
            {"when": stamp, "results": [r.__dict__ | {"speedup": r.speedup} for r in results]},
            indent=2,
        )
    )
    if full and not args.no_record:
        head = DOC.read_text().split(MARK)[0] if DOC.exists() else "# Benchmarks\n\n"
        DOC.write_text(f"{head}{MARK}\n\n{stamp}.\n\n{table}\n")


if __name__ == "__main__":
    main()
