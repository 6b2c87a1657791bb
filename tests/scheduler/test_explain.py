"""explain(snapshot, job): per center, the filter that rejected the job or its figures there."""

from __future__ import annotations

import math

import pytest

from c2net.model import ReasonCode
from c2net.scheduler import Snapshot, explain
from tests.builders import node
from tests.scheduler.builders import cpu_center, gpu_center, job_spec, queued

CPU = cpu_center("cpu-only", 0.1)
CHEAP = gpu_center("cheap", "A100", 10.0)
DEAR = gpu_center("dear", "A100", 20.0)
SICK = gpu_center("sick", "A100", 1.0)


def test_rows_in_network_order_with_filter_or_rank() -> None:
    snap = Snapshot.with_allocations((CPU, DEAR, CHEAP), [("cheap", 0, node(1, 1, "A100:1"))])
    rows = explain(snap, queued(1, job_spec(resources={"accelerators": "A100:1"}, runtime=2)))
    table = [(r.center, r.code, r.filter, r.rank, r.available_now) for r in rows]
    assert table == [
        ("cpu-only", ReasonCode.NO_ACCELERATOR, "accelerator", None, False),
        ("dear", None, "", 2, True),
        # cheaper, so ranked first, but busy now
        ("cheap", ReasonCode.BUSY, "", 1, False),
    ]
    dear = rows[1]
    # 1 A100 at 20/h (cpus and memory free) for 2 h
    assert (dear.price_per_hour, dear.estimated_cost, dear.accelerator) == (20.0, 40.0, "A100")
    assert math.isnan(rows[0].estimated_cost)


def test_max_price_row_names_the_price() -> None:
    spec = job_spec(resources={"accelerators": "A100:1"}, max_price=15)
    rows = {r.center: r for r in explain(Snapshot.idle((CHEAP, DEAR)), queued(1, spec))}
    assert rows["dear"].code is ReasonCode.OVER_MAX_PRICE
    assert rows["dear"].detail == "price 20.00/h is above max_price 15.00/h"
    assert rows["cheap"].rank == 1


@pytest.mark.parametrize(
    ("fields", "code", "filter_name"),
    [
        ({"resources": {"cpus": 64}}, ReasonCode.NODE_TOO_SMALL, "node-shape"),
        ({"regions": ["nowhere"]}, ReasonCode.REGION, "regions"),
        ({"num_nodes": 2}, ReasonCode.TOO_FEW_NODES, "gang"),
    ],
)
def test_each_filter_is_named(
    fields: dict[str, object], code: ReasonCode, filter_name: str
) -> None:
    row = explain(Snapshot.idle((CPU,)), queued(1, job_spec(**fields)))[0]
    assert (row.code, row.filter) == (code, filter_name)
