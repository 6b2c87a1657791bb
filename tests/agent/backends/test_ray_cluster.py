"""Ray cluster parsing without Ray: nodes, accelerator names, pools, free room.

Payloads have the shape Ray 2.60's dashboard returns (recorded from the test head, trimmed).
"""

from __future__ import annotations

from typing import Any

import pytest

from c2net.agent.backends.ray_cluster import (
    RayNode,
    accelerator_names,
    free_per_node,
    node_pools,
    node_resources,
    parse_nodes,
)
from c2net.model import NodePool, Resources

GIB = 2**30


def nodes_reply(*rows: dict[str, Any]) -> dict[str, Any]:
    """GET /api/v0/nodes"""
    return {"result": True, "msg": "", "data": {"result": {"total": len(rows), "result": rows}}}


def node_row(node_id: str, state: str = "ALIVE", **resources: float) -> dict[str, Any]:
    return {"node_id": node_id, "state": state, "resources_total": resources}


def status_reply(usage: dict[str, dict[str, list[float]]] | None) -> dict[str, Any]:
    """GET /api/cluster_status (usage is None before the autoscaler's first report)."""
    report = None if usage is None else {"loadMetricsReport": {"usageByNode": usage}}
    return {"result": True, "msg": "Got cluster status.", "data": {"clusterStatus": report}}


def test_parse_nodes_keeps_alive_nodes() -> None:
    reply = nodes_reply(
        node_row("a", CPU=2, memory=GIB, A100=2), node_row("b", "DEAD", CPU=8, memory=GIB)
    )
    assert parse_nodes(reply) == [RayNode("a", {"CPU": 2.0, "memory": float(GIB), "A100": 2.0})]
    with pytest.raises(ValueError, match="not a Ray node list"):
        parse_nodes({"data": {}})


@pytest.mark.parametrize(
    ("names", "extra", "expected"),
    [
        (["CPU", "memory", "A100", "node:127.0.0.1"], (), {"A100": "A100"}),
        (["a100", "h20"], (), {"A100": "a100", "H20": "h20"}),  # canonical spelling -> Ray's
        (["my_npu", "disk"], ["MY_NPU"], {"MY_NPU": "my_npu"}),  # named by the center file
        (["accelerator_type:A100", "GPU"], (), {}),  # typed GPUs are counted from GPU
    ],
)
def test_accelerator_names(names: list[str], extra: list[str], expected: dict[str, str]) -> None:
    assert accelerator_names(names, extra) == expected


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ({"CPU": 2, "memory": 3 * GIB, "A100": 2}, Resources(2, 3, {"A100": 2})),
        (
            {"CPU": 8, "memory": GIB, "GPU": 4, "accelerator_type:V100": 1},
            Resources(8, 1, {"V100": 4}),
        ),
        ({"CPU": 8, "memory": GIB, "GPU": 2}, Resources(8, 1, {"GPU": 2})),  # untyped GPUs
        # labelled by the admin: the custom resource names them, GPU is not counted twice
        ({"CPU": 8, "memory": GIB, "GPU": 8, "H100": 8}, Resources(8, 1, {"H100": 8})),
        ({"CPU": 1, "memory": GIB, "A100": 0.999}, Resources(1, 1, {})),  # whole devices only
    ],
)
def test_node_resources(resources: dict[str, float], expected: Resources) -> None:
    assert node_resources(resources) == expected


def test_node_pools_group_nodes_by_shape() -> None:
    nodes = [
        RayNode("head", {"CPU": 0, "memory": 4 * GIB}),  # --num-cpus=0: runs no entrypoint
        RayNode("w1", {"CPU": 16, "memory": 61.2 * GIB, "A100": 8}),
        RayNode("w2", {"CPU": 16, "memory": 61.9 * GIB, "A100": 8}),  # same type, a few MB off
        RayNode("c1", {"CPU": 4, "memory": 0.5 * GIB}),
    ]
    assert node_pools(nodes) == [
        # 61.2 and 61.9 GB both round down to 61: one pool of two nodes
        NodePool("4cpu-0.5gb", 1, Resources(4, 0.5)),
        NodePool("a100x8-16cpu-61gb", 2, Resources(16, 61, {"A100": 8})),
    ]


def test_free_is_total_minus_used_per_node() -> None:
    nodes = [
        RayNode("n1", {"CPU": 2, "memory": 8 * GIB, "A100": 2, "node:127.0.0.1": 1}),
        RayNode("n2", {"CPU": 8, "memory": 8 * GIB, "GPU": 2, "accelerator_type:T4": 1}),
        RayNode("n3", {"CPU": 4, "memory": 4 * GIB}),  # joined after the last usage report
    ]
    usage: dict[str, dict[str, list[float]]] = {
        "n1": {"CPU": [1.0, 2.0], "memory": [1.0 * GIB, 8.0 * GIB], "A100": [2.0, 2.0]},
        # the dashboard camel-cases keys: accelerator_type:T4 -> acceleratorType:T4
        "n2": {"CPU": [8.0, 8.0], "GPU": [1.0, 2.0], "acceleratorType:T4": [0.001, 1.0]},
    }
    assert free_per_node(nodes, status_reply(usage)) == [
        Resources(1, 7),  # 2 - 1 CPU, 8 - 1 GB, 2 - 2 A100
        Resources(0, 8, {"T4": 1}),  # 8 - 8 CPU, memory unused, 2 - 1 GPUs of type T4
        Resources(4, 4),  # not in the report: all free
    ]
    with pytest.raises(ValueError, match="not reported resource usage yet"):
        free_per_node(nodes, status_reply(None))
