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
from c2net.store.database import make_engine

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
    ) -> None:
        self.engine: Engine = make_engine(url)
        self.heartbeat_timeout = heartbeat_timeout
        self.lease_seconds = lease_seconds
        self._lock = threading.RLock()  # SQLite has one writer; keep ours in line
        # An in-memory database is one connection shared by every thread: reads must not
        # interleave with a write transaction on it, so they take the lock too.
        self._shared_connection = url in ("sqlite://", "sqlite:///:memory:")

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._lock if self._shared_connection else nullcontext(), self.engine.connect() as c:
            yield c


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
    )
