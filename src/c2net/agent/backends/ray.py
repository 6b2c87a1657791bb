"""Ray backend: each attempt is a Ray job, submitted through the Jobs API of the cluster's
dashboard (`JobSubmissionClient`), under a submission id derived from the attempt id.

The agent needs only HTTP access to the dashboard (`backend_options: {address: http://HOST:8265}`)
and the `ray` package (imported lazily, so c2net imports without it). Capacity and free room come
from the dashboard's HTTP API (`/api/v0/nodes`, `/api/cluster_status`), which needs no driver
connection. The mapping and parsing live in ray_job.py and ray_cluster.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

import httpx

from c2net.agent.backends.base import BackendError, Capabilities, Task, TaskStatus
from c2net.agent.backends.ray_cluster import RayNode, free_per_node, node_pools, parse_nodes
from c2net.agent.backends.ray_job import (
    FINGERPRINT_KEY,
    TIME_LIMIT_KEY,
    entrypoint,
    entrypoint_request,
    fingerprint,
    job_env,
    job_metadata,
    submission_id,
    task_status,
)
from c2net.model import Center, JobState, NodePool, Resources

__all__ = ["RayBackend"]

_CHUNK = 1 << 20  # at most this many bytes of output per read_output call
_MISSING = "status code 404"  # how the Jobs SDK reports an unknown submission id


class _JobInfo(Protocol):
    """The fields of Ray's JobDetails this backend reads (driver_exit_code: Ray >= 2.10ish)."""

    @property
    def status(self) -> str: ...
    @property
    def message(self) -> str | None: ...
    @property
    def start_time(self) -> int | None: ...
    @property
    def end_time(self) -> int | None: ...
    @property
    def metadata(self) -> dict[str, str] | None: ...
    @property
    def driver_node_id(self) -> str | None: ...


class _JobsClient(Protocol):
    """The part of ray.job_submission.JobSubmissionClient this backend calls."""

    def submit_job(
        self,
        *,
        entrypoint: str,
        runtime_env: dict[str, Any] | None = None,
        metadata: dict[str, str] | None = None,
        submission_id: str | None = None,
        entrypoint_num_cpus: int | float | None = None,
        entrypoint_num_gpus: int | float | None = None,
        entrypoint_memory: int | None = None,
        entrypoint_resources: dict[str, float] | None = None,
    ) -> str: ...
    def get_job_info(self, job_id: str) -> _JobInfo: ...
    def stop_job(self, job_id: str) -> bool: ...
    def get_job_logs(self, job_id: str) -> str: ...


def _ray_jobs_client(address: str, headers: Mapping[str, str], timeout: float) -> _JobsClient:
    """Ray's JobSubmissionClient, with an HTTP timeout on every request: the SDK sets none, so
    a dashboard that accepts connections but never answers would hang the agent."""
    try:
        from ray.job_submission import JobSubmissionClient
    except ImportError as exc:
        raise BackendError(f"the ray backend needs `pip install 'ray[default]'`: {exc}") from exc

    class _TimedClient(JobSubmissionClient):
        def _do_request(self, method: str, endpoint: str, **kwargs: Any) -> Any:
            kwargs.setdefault("timeout", timeout)  # forwarded to requests.request
            return super()._do_request(method, endpoint, **kwargs)

    client: _JobsClient = _TimedClient(address, headers=dict(headers) or None)
    return client


def _normalize(address: str) -> str:
    address = address.strip().rstrip("/")
    return address if "://" in address else f"http://{address}"


class RayBackend:
    name = "ray"
    capabilities = Capabilities(
        multi_node=False,
        real_accelerators=True,
        reattach=True,
        discovers_capacity=True,
        extra={"api": "ray jobs", "logs": "whole job log re-read per call"},
    )

    def __init__(
        self,
        address: str,
        *,
        prefix: str = "c2net",
        job_dir: str | None = None,
        accelerator_resources: Iterable[str] = (),
        headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.address = _normalize(address)
        self.prefix = prefix
        self.job_dir = job_dir
        self.accelerator_resources = tuple(accelerator_resources)
        self.headers = dict(headers or {})
        self.timeout = timeout
        self._client: _JobsClient | None = None

    @classmethod
    def from_center(cls, center: Center, options: Mapping[str, Any], workdir: Path) -> RayBackend:
        address = options.get("address")
        if not isinstance(address, str) or not address:
            raise BackendError(
                f"center {center.name}: backend_options.address must be the Ray dashboard URL"
                " (http://HOST:8265)"
            )
        return cls(
            address,
            prefix=str(options.get("submission_prefix", f"c2net-{center.name}")),
            job_dir=str(options["job_dir"]) if options.get("job_dir") else None,
            accelerator_resources=[str(x) for x in options.get("accelerator_resources", [])],
            headers={str(k): str(v) for k, v in (options.get("headers") or {}).items()},
            timeout=float(options.get("timeout", 10.0)),
        )

    # ------------------------------------------------------------ Ray calls

    def _jobs(self) -> _JobsClient:
        if self._client is None:
            try:
                self._client = _ray_jobs_client(self.address, self.headers, self.timeout)
            except BackendError:
                raise
            except (OSError, RuntimeError, ValueError) as exc:  # requests' errors are OSErrors
                raise BackendError(f"Ray at {self.address} is unreachable: {exc}") from exc
        return self._client

    def _info(self, backend_id: str) -> _JobInfo | None:
        """The job's details, or None when Ray does not know the submission id."""
        jobs = self._jobs()
        try:
            return jobs.get_job_info(backend_id)
        except (OSError, RuntimeError) as exc:
            if _MISSING in str(exc):
                return None
            raise BackendError(f"Ray job {backend_id}: {exc}") from exc

    def _get(self, path: str) -> Any:
        try:
            reply = httpx.get(self.address + path, headers=self.headers, timeout=self.timeout)
            reply.raise_for_status()
            return reply.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise BackendError(f"Ray at {self.address}{path}: {exc}") from exc

    def nodes(self) -> list[RayNode]:
        """The cluster's alive nodes with their total resources."""
        try:
            return parse_nodes(self._get("/api/v0/nodes?limit=10000"))
        except ValueError as exc:
            raise BackendError(f"Ray at {self.address}: {exc}") from exc

    # ------------------------------------------------------------ protocol

    def submit(self, task: Task) -> str:
        if task.num_nodes > 1:
            raise BackendError("the ray backend runs single-node jobs (num_nodes: 1)")
        backend_id = submission_id(self.prefix, task.attempt_id)
        command = entrypoint(task, self.job_dir)
        digest = fingerprint(task, self.job_dir)
        if self._reattach(backend_id, digest):
            return backend_id
        try:
            ask = entrypoint_request(task.resources, self.nodes(), self.accelerator_resources)
        except ValueError as exc:
            raise BackendError(str(exc)) from exc
        jobs = self._jobs()
        try:
            jobs.submit_job(
                entrypoint=command,
                submission_id=backend_id,
                runtime_env={"env_vars": job_env(task, self.job_dir)},
                metadata=job_metadata(task, self.job_dir),
                entrypoint_num_cpus=ask.num_cpus,
                entrypoint_num_gpus=ask.num_gpus,
                entrypoint_memory=ask.memory,
                entrypoint_resources=ask.resources or None,
            )
        except (OSError, RuntimeError, ValueError) as exc:
            if self._reattach(backend_id, digest):  # a concurrent submit won the race
                return backend_id
            raise BackendError(f"Ray refused {backend_id}: {exc}") from exc
        return backend_id

    def _reattach(self, backend_id: str, digest: str) -> bool:
        """True when Ray already has this attempt's job; an id taken by other work is an error."""
        info = self._info(backend_id)
        if info is None:
            return False
        if (info.metadata or {}).get(FINGERPRINT_KEY) != digest:
            raise BackendError(
                f"Ray already has a job {backend_id} running something else "
                "(another network, or a gateway with a fresh database, uses this prefix)"
            )
        return True

    def poll(self, backend_id: str) -> TaskStatus:
        info = self._info(backend_id)
        if info is None:
            return TaskStatus(JobState.LOST, reason=f"Ray has no job {backend_id}")
        return task_status(
            str(getattr(info.status, "value", info.status)),  # JobStatus is a str Enum
            info.message,
            info.start_time,
            info.end_time,
            getattr(info, "driver_exit_code", None),
            ran=info.driver_node_id is not None,
            time_limit=(info.metadata or {}).get(TIME_LIMIT_KEY),
        )

    def cancel(self, backend_id: str) -> None:
        """Ask Ray to stop the job (SIGTERM to its processes, SIGKILL after Ray's grace period,
        RAY_JOB_STOP_WAIT_TIME_S); stopping a finished or unknown job does nothing."""
        jobs = self._jobs()
        try:
            jobs.stop_job(backend_id)
        except (OSError, RuntimeError) as exc:
            if _MISSING not in str(exc):
                raise BackendError(f"Ray could not stop {backend_id}: {exc}") from exc

    def read_output(self, backend_id: str, offset: int) -> bytes:
        """Bytes of the job's log from `offset` (at most 1 MiB). The Jobs API returns the whole
        log on each call, so this costs the log's size per call; Ray's log holds stdout and
        stderr together plus a few lines of its own (runtime env setup, the entrypoint)."""
        jobs = self._jobs()
        try:
            text = jobs.get_job_logs(backend_id)
        except (OSError, RuntimeError) as exc:
            if _MISSING in str(exc):
                return b""
            raise BackendError(f"Ray job {backend_id} logs: {exc}") from exc
        return text.encode("utf-8", "replace")[offset : offset + _CHUNK]

    def capacity(self) -> list[NodePool] | None:
        """Node pools from the cluster's alive nodes (Ray's CPU, memory and accelerators)."""
        return node_pools(self.nodes(), self.accelerator_resources) or None

    def free(self) -> list[Resources]:
        """What is free on each alive node now, whoever holds the rest (work submitted to Ray
        outside the network included). Lags the cluster by the autoscaler's refresh period."""
        nodes = self.nodes()
        try:
            return free_per_node(
                nodes, self._get("/api/cluster_status"), self.accelerator_resources
            )
        except ValueError as exc:
            raise BackendError(f"Ray at {self.address}: {exc}") from exc
