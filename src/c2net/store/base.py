"""The store's common ground: engine, settings, errors and row conversion."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from sqlalchemy import Engine
from sqlalchemy.engine import Connection, RowMapping

from c2net.model import (
    Attempt,
    JobState,
    Resources,
)
from c2net.scheduler.topology import Network, builtin_network_matrix
from c2net.store.database import is_memory, make_engine

__all__ = ["Conflict", "NotFound", "StoreBase", "attempt_from_row"]


class NotFound(LookupError):
    pass


class Conflict(RuntimeError):
    """The request contradicts the current state (a stale lease, a job already ended)."""


class StoreBase:
    def __init__(
        self,
        url: str = "sqlite://",
        *,
        heartbeat_timeout: float = 15.0,
        lease_seconds: float = 30.0,
        max_retries: int = 3,
        retry_backoff: float = 1.0,
        retry_backoff_max: float = 60.0,
        migrate: bool | None = None,
        network: Network | None = None,
    ) -> None:
        self.engine: Engine = make_engine(url, migrate=migrate)
        # between hubs: round trips, bandwidth, egress price, carbon, PUE (default: built-in)
        self.network = network if network is not None else builtin_network_matrix()
        self.heartbeat_timeout = heartbeat_timeout
        self.lease_seconds = lease_seconds
        # A lost attempt requeues its job while it has retries left, after a backoff that
        # doubles with each loss: retry_backoff, 2 x, 4 x, ... at most retry_backoff_max.
        self.max_retries = max_retries
        self.retry_backoff = retry_backoff
        self.retry_backoff_max = retry_backoff_max
        self._lock = threading.RLock()  # SQLite has one writer; keep ours in line
        # per pending job, (reason, code, estimated start) as the last snapshot read them
        self._said: dict[int, tuple[str, str | None, float | None]] = {}
        # An in-memory database is one connection shared by every thread: reads must not
        # interleave with a write transaction on it, so they take the lock too.
        self._shared_connection = is_memory(url)

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._lock if self._shared_connection else nullcontext(), self.engine.connect() as c:
            yield c.execution_options(sqlite_begin="")  # reads need no write lock (SQLite)

    def requeue_delay(self, losses: int) -> float:
        """Seconds a job waits in the queue after its `losses`-th lost attempt."""
        if losses <= 0 or self.retry_backoff <= 0:
            return 0.0
        return float(min(self.retry_backoff * 2 ** (losses - 1), self.retry_backoff_max))


def attempt_from_row(row: RowMapping) -> Attempt:
    return Attempt(
        id=row["id"],
        job_id=row["job_id"],
        number=row["number"],
        center=row["center"],
        node=row["node"],
        resources=Resources.from_dict(row["resources"]),
        price_per_hour=row["price_per_hour"],
        state=JobState(row["state"]),
        assigned_at=row["assigned_at"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        wall_seconds=row["wall_seconds"],
        exit_code=row["exit_code"],
        reason=row["reason"],
        backend_id=row["backend_id"],
        nodes=tuple(row["nodes"] or ()),
    )
