"""A c2net task as a Ray job, and a Ray job's state as a c2net TaskStatus.

Pure functions (no I/O, no Ray import): the submission id, the entrypoint command, its
environment and metadata, the entrypoint resource request, and the status mapping.
"""

from __future__ import annotations

import hashlib
import json
import math
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from c2net.agent.backends.base import Task, TaskStatus
from c2net.agent.backends.ray_cluster import ACCELERATOR_TYPE_PREFIX, RayNode, accelerator_names
from c2net.model import JobState, Resources

__all__ = [
    "EntrypointRequest",
    "entrypoint",
    "entrypoint_request",
    "fingerprint",
    "job_env",
    "job_metadata",
    "submission_id",
    "task_status",
]

TIME_LIMIT_KEY = "c2net_time_limit_seconds"
FINGERPRINT_KEY = "c2net_fingerprint"
_SCRIPT = (
    'if [ -n "$C2NET_SETUP" ]; then bash -c "$C2NET_SETUP" || { rc=$?; '
    'echo "c2net: setup exited with code $rc" >&2; exit $rc; }; fi; exec bash -c "$C2NET_RUN"'
)
_CD = 'mkdir -p "$C2NET_WORKDIR" && cd "$C2NET_WORKDIR" || exit 1; '
_TIMEOUT_EXIT = 124  # coreutils `timeout` exits with 124 when the limit is reached
_KILL_AFTER = 10  # seconds between timeout's SIGTERM and its SIGKILL
_GPU_TYPE_SHARE = 0.001  # Ray's convention for asking for a node type: a sliver of its marker
_REASON_CHARS = 300


def submission_id(prefix: str, attempt_id: int) -> str:
    """One Ray submission id per attempt, so a retried submit finds the job it already made."""
    return f"{prefix}-attempt-{attempt_id}"


def attempt_dir(job_dir: str, task: Task) -> str:
    return f"{job_dir.rstrip('/')}/attempt-{task.attempt_id}"


def entrypoint(task: Task, job_dir: str | None = None) -> str:
    """A short, constant command (Ray prints it into the job's log): setup then run, both
    passed in the job's environment (C2NET_SETUP, C2NET_RUN); a failing setup ends the job with
    its code. In the attempt's directory under `job_dir` when given; under `timeout` when the
    task has a time limit."""
    script = (_CD if job_dir else "") + _SCRIPT
    command = f"bash -c {shlex.quote(script)}"
    if task.time_limit_seconds:
        command = f"timeout --kill-after={_KILL_AFTER} {task.time_limit_seconds:g} {command}"
    return command


def job_env(task: Task, job_dir: str | None = None) -> dict[str, str]:
    """The job's own envs, then c2net's (which win)."""
    env = dict(task.envs)
    env.update(
        {
            "C2NET_JOB_ID": str(task.job_id),
            "C2NET_ATTEMPT_ID": str(task.attempt_id),
            "C2NET_ACCELERATORS": ",".join(
                f"{kind}:{n}" for kind, n in sorted(task.resources.accelerators.items())
            ),
            "C2NET_SETUP": task.setup,
            "C2NET_RUN": task.run,
        }
    )
    if job_dir:
        env["C2NET_WORKDIR"] = attempt_dir(job_dir, task)
    return env


def fingerprint(task: Task, job_dir: str | None = None) -> str:
    """A digest of what the attempt runs, kept in the job's metadata: a submission id already
    taken in Ray is re-attached to only when the fingerprints agree."""
    what = [entrypoint(task, job_dir), job_env(task, job_dir), task.resources.to_dict()]
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:32]


def job_metadata(task: Task, job_dir: str | None = None) -> dict[str, str]:
    """Shown by `ray job list`; the time limit is read back by `task_status`."""
    meta = {
        "c2net_job_id": str(task.job_id),
        "c2net_attempt_id": str(task.attempt_id),
        "c2net_name": task.name[:200],
        FINGERPRINT_KEY: fingerprint(task, job_dir),
    }
    if task.time_limit_seconds:
        meta[TIME_LIMIT_KEY] = f"{task.time_limit_seconds:g}"
    return meta


@dataclass(frozen=True)
class EntrypointRequest:
    """The entrypoint_* arguments of JobSubmissionClient.submit_job."""

    num_cpus: float | None = None
    num_gpus: float | None = None
    memory: int | None = None
    resources: dict[str, float] = field(default_factory=dict)


def _fits(request: EntrypointRequest, node: RayNode) -> bool:
    have = node.resources
    wants = dict(request.resources)
    wants["CPU"] = request.num_cpus or 0.0
    wants["GPU"] = request.num_gpus or 0.0
    wants["memory"] = float(request.memory or 0)
    return all(have.get(name, 0.0) + 1e-9 >= amount for name, amount in wants.items() if amount)


def _accelerator_ask(
    kind: str, count: int, nodes: Sequence[RayNode], extra: tuple[str, ...]
) -> tuple[int, dict[str, float]]:
    """(GPUs, custom resources) that ask Ray for `count` accelerators of type `kind`."""
    for node in nodes:
        name = accelerator_names(node.resources, extra).get(kind)
        if name is not None:  # a custom resource names the type; real GPUs there too?
            gpus = count if node.resources.get("GPU", 0.0) > 0 else 0
            return gpus, {name: float(count)}
    for node in nodes:
        for name in node.resources:
            if name.startswith(ACCELERATOR_TYPE_PREFIX) and name.endswith(f":{kind}"):
                return count, {name: _GPU_TYPE_SHARE}
    raise ValueError(f"no node of this Ray cluster offers {kind}")


def entrypoint_request(
    want: Resources, nodes: Sequence[RayNode], extra: Iterable[str] = ()
) -> EntrypointRequest:
    """Ask Ray for the task's cpus, memory and accelerators; an accelerator type becomes the
    custom resource of that name when the cluster defines one, else Ray GPUs on nodes of that
    `accelerator_type`. Raises ValueError when no node could ever hold the request (rather than
    leaving a job pending in Ray forever)."""
    extra = tuple(extra)
    gpus, resources = 0, {}
    for kind, count in sorted(want.accelerators.items()):
        more_gpus, more = _accelerator_ask(kind, count, nodes, extra)
        gpus += more_gpus
        resources.update(more)
    request = EntrypointRequest(
        num_cpus=want.cpus or None,
        num_gpus=gpus or None,
        memory=math.ceil(want.memory_gb * 2**30) or None,
        resources=resources,
    )
    if not any(_fits(request, node) for node in nodes):
        raise ValueError(f"no node of this Ray cluster can hold {want.describe()}")
    return request


def _short(message: str | None) -> str:
    """Ray's message without the log tail it appends to failures."""
    first = (message or "").strip().split("\n", 1)[0]
    return first.split(", last available logs", 1)[0][:_REASON_CHARS]


def _failure_reason(message: str | None, code: int | None, time_limit: str | None) -> str:
    if code == _TIMEOUT_EXIT and time_limit:
        return f"time limit of {time_limit}s reached (exit code {code})"
    return _short(message) or (f"exit code {code}" if code is not None else "failed")


def task_status(
    status: str,
    message: str | None,
    start_ms: int | None = None,
    end_ms: int | None = None,
    exit_code: int | None = None,
    ran: bool = True,
    time_limit: str | None = None,
) -> TaskStatus:
    """Map a Ray job (status, message, times in ms, driver exit code) to a TaskStatus.

    Ray's start_time is the submission time, so wall seconds include time queued in Ray;
    a job stopped before its entrypoint ran (`ran` False: no driver node) has 0 s.
    """
    wall = None
    if end_ms and start_ms:
        wall = max(end_ms - start_ms, 0) / 1000.0 if ran else 0.0
    if status == "PENDING":
        return TaskStatus(JobState.ASSIGNED, reason=_short(message))
    if status == "RUNNING":
        return TaskStatus(JobState.RUNNING)
    if status == "SUCCEEDED":
        return TaskStatus(JobState.SUCCEEDED, 0 if exit_code is None else exit_code, "", wall)
    if status == "FAILED":
        reason = _failure_reason(message, exit_code, time_limit)
        return TaskStatus(JobState.FAILED, exit_code, reason, wall)
    if status == "STOPPED":
        return TaskStatus(JobState.CANCELLED, None, _short(message) or "stopped", wall)
    return TaskStatus(JobState.LOST, None, f"unknown Ray job status {status!r}", wall)
