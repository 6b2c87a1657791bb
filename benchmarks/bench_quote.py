"""One quote over every offer of the GCP + Azure + Lambda + Vast catalogues.

The four catalogues shipped in c2net/data/catalogs (SkyPilot schema, GCP's accelerators paired
with their hosts) are loaded once, untimed, into an OfferTable. A quote is `rank_offers(table,
spec)` plus the 20 best offers built as objects: every offer checked, the matches costed
(price x runtime estimated on that accelerator) and ranked. Baseline: the same checks and cost
in a plain Python loop over the offers as objects, then a sort. Median of repeated quotes, for
each of four specs (a fixed type, an any_of over three types, a compute request, a CPU job).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from benchmarks.harness import Result
from c2net.market.catalog import CloudOffer, OfferTable, builtin_catalog
from c2net.market.clouds import rank_offers
from c2net.model import JobSpec, parse_spec
from c2net.model.accelerators import builtin_catalogue
from c2net.scheduler.classes import options_for

CLOUDS = ("gcp", "azure", "lambda", "vast")
SPECS: dict[str, dict[str, object]] = {
    "A100:8, 8 cpus, 32 GB": {
        "resources": {"cpus": 8, "memory": 32, "accelerators": "A100:8"},
        "runtime": 10,
    },
    "any_of A100:1, H100:1, L4:1": {
        "resources": {"accelerators": {"any_of": ["A100:1", "H100:1", "L4:1"]}},
        "runtime": 4,
    },
    "compute 600 FP16 TFLOPS": {
        "resources": {"accelerators": {"any_of": ["A100", "H100", "T4"]}},
        "compute": {"fp16_tflops": 600},
    },
    "CPU 16 cpus, 64 GB": {"resources": {"cpus": 16, "memory": 64}, "runtime": 2},
}


def _baseline(offers: list[CloudOffer], spec: JobSpec) -> list[tuple[float, CloudOffer]]:
    """Per offer, per option: fits? cost = price x nodes x estimated hours; then sort."""
    options = options_for(spec, builtin_catalogue())
    ranked = []
    for offer in offers:
        if offer.vcpus < spec.resources.cpus or offer.memory_gb < spec.resources.memory_gb:
            continue
        best = None
        for o in options:
            if o.accelerator is None:
                ok = offer.count == 0
            else:
                ok = offer.accelerator == o.accelerator and offer.count >= o.count
            if ok and (best is None or o.hours < best):
                best = o.hours
        if best is not None:
            ranked.append((offer.price * spec.num_nodes * best, offer))
    ranked.sort(key=lambda x: (x[0], x[1].price))
    return ranked


def _median_ms(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def run(quick: bool = False) -> list[Result]:
    table = OfferTable.concat(builtin_catalog(c) for c in CLOUDS)
    offers = [table.offer(i) for i in range(len(table))]
    results = []
    for label, fields in SPECS.items():
        spec = parse_spec({"run": "true", **fields})
        rank_offers(table, spec)  # warm the catalogue and numpy paths once
        ours, _ = _median_ms(lambda: rank_offers(table, spec).top(20), 20 if quick else 200)  # noqa: B023
        base, ranked = _median_ms(lambda: _baseline(offers, spec), 3 if quick else 10)  # noqa: B023
        matched = len(rank_offers(table, spec))
        assert matched == len(ranked), "both rank the same offers"  # type: ignore[arg-type]
        results.append(
            Result(
                "quote over 4 catalogues",
                label,
                ours,
                base,
                "Python loop over the offers",
                {"offers": float(len(table)), "matching": float(matched)},
            )
        )
    return results
