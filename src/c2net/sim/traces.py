"""Trace readers: real workloads as plain arrival records.

Three formats: the Alibaba PAI GPU trace v2023 (`openb_pod_list_*.csv`, node lists in
`openb_node_list_*.csv`), the Standard Workload Format of the Parallel Workloads Archive (SWF,
plain or .gz) and c2net's own job history (a JSON list of job dicts as GET /v1/jobs returns).
A reader keeps what the trace says; fields the trace lacks stay empty (tenant "", home "",
accelerator type ANY_GPU) and the scenario fills them in (see `scenario.synthesise`).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources as pkg_resources
from pathlib import Path
from typing import Any

from c2net.model import Resources, canonical_accelerator

__all__ = [
    "ANY_GPU",
    "Arrival",
    "TraceNode",
    "read_alibaba_nodes",
    "read_alibaba_pods",
    "read_job_history",
    "read_swf",
    "read_text",
]

ANY_GPU = "ANY-GPU"  # placeholder type: the trace does not say which GPU the job wants
_BUILTIN = "builtin:"


@dataclass(frozen=True)
class Arrival:
    """One job of a trace: when it arrives, how long it runs, what it asks for, whose it is."""

    id: int
    submit: float  # seconds from the trace's start
    duration: float  # seconds of running
    resources: Resources
    tenant: str = ""
    home: str = ""  # hub where the job's user (and data) sits


@dataclass(frozen=True)
class TraceNode:
    """A machine of a trace's cluster (used to size simulated centers)."""

    name: str
    shape: Resources
    model: str  # GPU model as the trace names it, "" for CPU-only nodes


def read_text(path: str | Path) -> str:
    """A file's text; `builtin:NAME` is a file shipped in c2net/data/traces; .gz is unzipped."""
    name = str(path)
    if name.startswith(_BUILTIN):
        ref = pkg_resources.files("c2net") / "data" / "traces" / name[len(_BUILTIN) :]
        raw = ref.read_bytes()
    else:
        raw = Path(name).read_bytes()
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return raw.decode("utf-8", errors="replace")


def _gpus(row: Mapping[str, str]) -> int:
    # GPU-sharing pods ask for a fraction (gpu_milli < 1000) of one GPU; c2net sells whole
    # devices, so a fraction is rounded up to one GPU.
    return int(row.get("num_gpu") or 0)


def _pod_type(spec: str) -> str:
    # gpu_spec lists acceptable models ("V100M16|V100M32"); c2net asks for one type: the first.
    first = spec.split("|")[0].strip()
    return canonical_accelerator(first) if first else ANY_GPU


def read_alibaba_pods(path: str | Path, limit: int | None = None) -> list[Arrival]:
    """Pods of `openb_pod_list_*.csv` in creation order.

    Duration is deletion - scheduled time; pods never scheduled (phase Pending) have deletion -
    creation, the time until they were withdrawn (an upper bound of what they would have run).
    """
    rows = csv.DictReader(io.StringIO(read_text(path)))
    out: list[Arrival] = []
    for i, row in enumerate(rows):
        created = float(row["creation_time"])
        started = float(row["scheduled_time"]) if row.get("scheduled_time") else created
        ended = float(row["deletion_time"]) if row.get("deletion_time") else started
        gpus = _gpus(row)
        acc = {_pod_type(row.get("gpu_spec") or ""): gpus} if gpus else {}
        res = Resources(float(row["cpu_milli"]) / 1000, float(row["memory_mib"]) / 1024, acc)
        out.append(Arrival(i, created, max(ended - started, 1.0), res))
    out.sort(key=lambda a: (a.submit, a.id))
    return out[:limit] if limit is not None else out


def read_alibaba_nodes(path: str | Path) -> list[TraceNode]:
    """Nodes of `openb_node_list_*.csv`: cpus, memory and GPUs by model."""
    out = []
    for row in csv.DictReader(io.StringIO(read_text(path))):
        gpus = int(row.get("gpu") or 0)
        model = (row.get("model") or "").strip() if gpus else ""
        acc = {canonical_accelerator(model): gpus} if gpus and model else {}
        shape = Resources(float(row["cpu_milli"]) / 1000, float(row["memory_mib"]) / 1024, acc)
        out.append(TraceNode(row["sn"], shape, model))
    return out


def _swf_records(text: str) -> Iterable[list[str]]:
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(";"):
            fields = line.split()
            if len(fields) >= 18:
                yield fields


def read_swf(
    path: str | Path, memory_gb_per_cpu: float = 1.0, limit: int | None = None
) -> list[Arrival]:
    """Jobs of an SWF log (18 columns, -1 = unknown); jobs with no run time or size are skipped.

    cpus = allocated processors (requested when unknown); memory = used memory per processor in
    KB when the log has it, else `memory_gb_per_cpu`; tenant = "u" + user id.
    """
    out: list[Arrival] = []
    for f in _swf_records(read_text(path)):
        run, procs, req_procs = float(f[3]), int(f[4]), int(f[7])
        cpus = procs if procs > 0 else req_procs
        if run <= 0 or cpus <= 0:
            continue
        used_kb = float(f[6])
        per_cpu_gb = used_kb / 1024**2 if used_kb > 0 else memory_gb_per_cpu
        user = int(f[11])
        tenant = f"u{user}" if user >= 0 else ""
        out.append(Arrival(int(f[0]), float(f[1]), run, Resources(cpus, cpus * per_cpu_gb), tenant))
        if limit is not None and len(out) >= limit:
            break
    out.sort(key=lambda a: (a.submit, a.id))
    return out


def _history_duration(job: Mapping[str, Any]) -> float:
    attempts = job.get("attempts") or []
    walls = [float(a.get("wall_seconds") or 0.0) for a in attempts if a.get("state") != "LOST"]
    if walls and max(walls) > 0:
        return max(walls)
    runtime = float((job.get("spec") or {}).get("runtime", 1.0))
    return runtime * 3600.0  # never ran: the user's estimate


def read_job_history(path: str | Path, limit: int | None = None) -> list[Arrival]:
    """c2net's own job export (JSON list of GET /v1/jobs dicts).

    Duration = wall seconds of the longest attempt that was not lost, else the spec's runtime
    estimate; resources = spec.resources; tenant = spec envs' C2NET_TENANT when present.
    """
    data = json.loads(read_text(path))
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON list of jobs")
    out: list[Arrival] = []
    for job in data:
        spec = job.get("spec") or {}
        res = spec.get("resources") or {}
        acc = res.get("accelerators") or {}
        resources = Resources(
            float(res.get("cpus", 1)),
            float(res.get("memory", 1)),
            {canonical_accelerator(str(k)): int(v) for k, v in acc.items()},
        )
        tenant = str((spec.get("envs") or {}).get("C2NET_TENANT", ""))
        regions = spec.get("regions") or []
        home = str(regions[0]) if regions else ""
        submit = float(job.get("submitted_at", 0.0))
        out.append(Arrival(int(job["id"]), submit, _history_duration(job), resources, tenant, home))
    out.sort(key=lambda a: (a.submit, a.id))
    return out[:limit] if limit is not None else out
