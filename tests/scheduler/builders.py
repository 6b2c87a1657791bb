"""Small builders for scheduler tests: priced GPU centers and queued jobs with c2net's keys."""

from __future__ import annotations

from typing import Any

from c2net.model import Center, JobSpec, parse_spec
from c2net.scheduler import QueuedJob
from tests.builders import center, node


def gpu_center(
    name: str,
    acc: str,
    price: float,
    *,
    nodes: int = 1,
    per_node: int = 1,
    cpus: float = 8,
    memory: float = 32,
    hub: str | None = None,
    role: str = "east",
) -> Center:
    """`nodes` nodes of `per_node` devices; cpus and memory free of charge, so an hour of the
    job costs exactly `price` x devices (the arithmetic in the tests stays readable)."""
    shape = node(cpus, memory, f"{acc}:{per_node}")
    return center(
        name, (nodes, shape), cpu=0.0, mem=0.0, acc_prices={acc: price}, hub=hub, role=role
    )


def cpu_center(
    name: str,
    price: float,
    *,
    nodes: int = 1,
    cpus: float = 4,
    hub: str | None = None,
    role: str = "east",
) -> Center:
    """CPU nodes priced `price` per cpu-hour (memory free)."""
    return center(name, (nodes, node(cpus, 64)), cpu=price, mem=0.0, hub=hub, role=role)


def job_spec(**fields: Any) -> JobSpec:
    """A spec in the user's file form: job_spec(resources={'accelerators': 'A100:1'})."""
    return parse_spec({"run": "true", **fields})


def queued(
    i: int, spec: JobSpec, *, at: float = 0.0, account: str = "", home: str = ""
) -> QueuedJob:
    return QueuedJob(i, spec, at, account=account, home=home)
