"""The center agent: outbound only. Registers, heartbeats, pulls leased assignments, runs them
on its backend, and streams state, output and metered time back to the gateway."""

from __future__ import annotations

import codecs
import json
import logging
import os
import socket
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from c2net import __version__
from c2net.agent.backends.base import Backend, BackendError, ReportsFree, Task, TaskStatus
from c2net.client import C2netError, Client
from c2net.model import TERMINAL, Center, JobState, Resources, parse_spec
from c2net.network import center_to_dict

__all__ = ["Agent", "Held"]

log = logging.getLogger("c2net.agent")


@dataclass
class Held:
    """An attempt this agent runs, and how much of it the gateway has been told."""

    attempt_id: int
    job_id: int
    backend_id: str
    reported: str = JobState.ASSIGNED.value
    reason: str = ""
    out_bytes: int = 0  # bytes read from the backend's output
    out_chars: int = 0  # characters the gateway has stored
    pending_text: str = ""
    fenced: bool = False  # stopped because its lease lapsed while the gateway was unreachable
    decoder: Any = field(default=None, repr=False)

    def text(self, data: bytes, final: bool = False) -> str:
        if self.decoder is None:
            self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        return str(self.decoder.decode(data, final))


class Agent:
    def __init__(
        self,
        client: Client,
        center: Center,
        backend: Backend,
        workdir: str | Path,
        *,
        interval: float = 0.5,
        tariff: dict[str, Any] | None = None,
    ) -> None:
        self.client = client
        self.center = center
        self.tariff = tariff  # the center file's price plan, sent when registering
        self.backend = backend
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.interval = interval
        self.held: dict[int, Held] = {}
        self.lease_seconds = 30.0  # until the gateway says otherwise at registration
        self._renewed_at = time.monotonic()
        self._stop = threading.Event()
        self._state_file = self.workdir / "agent-state.json"
        self._load()

    # ------------------------------------------------------------ persistence

    def _load(self) -> None:
        if self._state_file.exists():
            for item in json.loads(self._state_file.read_text()):
                held = Held(**item)
                self.held[held.attempt_id] = held

    def _save(self) -> None:
        items = [
            {k: v for k, v in asdict(h).items() if k not in ("decoder", "pending_text")}
            for h in self.held.values()
        ]
        tmp = self._state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(items))
        os.replace(tmp, self._state_file)

    # ------------------------------------------------------------ the loop

    def register(self) -> None:
        try:
            pools = self.backend.capacity()
        except BackendError as exc:  # the cluster is down: register what the file says
            log.warning("capacity discovery failed: %s", exc)
            pools = None
        if pools and any(p.price is not None for p in self.center.pools):
            # the file prices whole nodes (a cloud's instance types): what it sells stands
            log.info("keeping the center file's priced pools over the %d discovered", len(pools))
            pools = None
        center = center_to_dict(replace(self.center, pools=tuple(pools)) if pools else self.center)
        if self.tariff is not None:
            center["tariff"] = self.tariff
        info = {
            "version": __version__,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "backend": self.backend.name,
            "capabilities": {k: v for k, v in asdict(self.backend.capabilities).items()},
        }
        self.lease_seconds = float(self.client.register(center, info)["lease_seconds"])
        self._renewed_at = time.monotonic()

    def step(self) -> None:
        """One round: heartbeat (and stop what the gateway says), take new work, report."""
        name = self.center.name
        free, error = self._free()
        stop = self.client.heartbeat(name, sorted(self.held), free, error)["stop"]
        self._renewed_at = time.monotonic()
        for attempt_id in stop:
            held = self.held.get(attempt_id)
            if held is not None:
                self.backend.cancel(held.backend_id)
        for a in self.client.lease(name, sorted(self.held))["assignments"]:
            self._start(a)
        for held in list(self.held.values()):
            self._sync(held)
        self._save()

    def _free(self) -> tuple[list[dict[str, Any]] | None, str]:
        """Free resources per node from the cluster, or the error that says it is down."""
        if not isinstance(self.backend, ReportsFree):
            return None, ""
        try:
            return [r.to_dict() for r in self.backend.free()], ""
        except BackendError as exc:
            return None, str(exc) or type(exc).__name__

    def _start(self, a: dict[str, Any]) -> None:
        spec = parse_spec(a["spec"])
        task = Task(
            attempt_id=a["attempt_id"],
            job_id=a["job_id"],
            name=spec.name,
            run=spec.run,
            setup=spec.setup,
            envs=dict(spec.envs),
            resources=Resources.from_dict(a["resources"]),
            node=a["node"],
            workdir=str(self.workdir / f"attempt-{a['attempt_id']}"),
            num_nodes=spec.num_nodes,
            time_limit_seconds=None
            if spec.time_limit_hours is None
            else spec.time_limit_hours * 3600,
        )
        try:
            backend_id = self.backend.submit(task)
        except BackendError as exc:
            self.client.report(
                self.center.name,
                task.attempt_id,
                JobState.FAILED.value,
                reason=f"backend refused the job: {exc}",
            )
            return
        self.held[task.attempt_id] = Held(task.attempt_id, task.job_id, backend_id)
        self._save()

    def _ship_output(self, held: Held, final: bool) -> None:
        data = self.backend.read_output(held.backend_id, held.out_bytes)
        held.out_bytes += len(data)
        held.pending_text += held.text(data, final)
        if held.pending_text:
            size = self.client.append_logs(
                self.center.name, held.attempt_id, held.out_chars, held.pending_text
            )["size"]
            held.out_chars = int(size)
            held.pending_text = ""

    def _sync(self, held: Held) -> None:
        try:
            status: TaskStatus = self.backend.poll(held.backend_id)
        except BackendError as exc:  # the cluster is unreachable: keep the attempt, try later
            log.warning("poll %s: %s", held.backend_id, exc)
            return
        try:
            self._ship_output(held, final=status.state in TERMINAL)
            if status.state.value != held.reported or status.reason != held.reason:
                self.client.report(
                    self.center.name,
                    held.attempt_id,
                    status.state.value,
                    exit_code=status.exit_code,
                    wall_seconds=status.wall_seconds,
                    reason=status.reason,
                    backend_id=held.backend_id,
                )
                held.reported, held.reason = status.state.value, status.reason
        except C2netError as exc:
            if exc.status in (404, 409):  # the gateway no longer gives us this attempt
                log.warning("dropping attempt %s: %s", held.attempt_id, exc.message)
                self.backend.cancel(held.backend_id)
                self.held.pop(held.attempt_id, None)
                return
            raise
        if status.state in TERMINAL:
            self.held.pop(held.attempt_id, None)

    def run(self) -> None:
        """Run until stop(); survive an unreachable gateway by retrying with backoff."""
        registered = False
        backoff = self.interval
        while not self._stop.is_set():
            try:
                if not registered:
                    self.register()
                    registered = True
                self.step()
                backoff = self.interval
            except C2netError as exc:
                if exc.status == 404:
                    registered = False  # the gateway forgot us (new database): register again
                log.warning("gateway: %s", exc.message)
                backoff = min(backoff * 2, 10.0)
                self._fence()
            self._stop.wait(backoff)

    def _fence(self) -> None:
        """Cut off from the gateway for longer than a lease: our attempts are LOST there and
        requeued elsewhere, so stop our copies rather than let a job run twice at once."""
        if time.monotonic() - self._renewed_at <= self.lease_seconds:
            return
        for held in self.held.values():
            if not held.fenced:
                log.warning("lease of attempt %s lapsed: stopping it", held.attempt_id)
                self.backend.cancel(held.backend_id)
                held.fenced = True

    def stop(self) -> None:
        self._stop.set()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while self.held and time.monotonic() < deadline:
            time.sleep(0.05)
        return not self.held
