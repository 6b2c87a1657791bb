"""Leader election: several gateway replicas serve the API, exactly one runs the scheduling loop.

- PostgreSQL: a session-level advisory lock held on a dedicated connection. A leader that dies
  closes its connection and the server releases the lock at once; a leader that hangs (or is
  cut off) loses its session after `idle_timeout` seconds without a ping. Every commit of a
  plan is fenced: it checks, in its own transaction, that the lock is still held by this
  replica's session, so a deposed leader cannot commit a stale plan.
- SQLite file: an exclusive `flock` on a file beside the database (every replica of a SQLite
  database runs on the machine that holds the file); the kernel releases it when the holder dies.
- In-memory SQLite (one process by definition) and other databases: always the leader.

The loop asks `is_leader()` at the start of every cycle; followers keep asking.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

__all__ = ["AdvisoryLock", "FileLock", "Leadership", "Solo", "elect"]

log = logging.getLogger("c2net.gateway.leader")

# (key1, key2) of the scheduling loop's advisory lock: "c2" and 1
SCHEDULER_LOCK = (0x6332, 1)


class Leadership(Protocol):
    def is_leader(self) -> bool:
        """Whether this replica leads now (acquiring the leadership when it is free)."""
        ...

    def fence(self, conn: Connection) -> bool:
        """Checked inside the transaction that commits a plan: still the leader?"""
        ...

    def release(self) -> None: ...


class Solo:
    """The only replica there can be."""

    def is_leader(self) -> bool:
        return True

    def fence(self, conn: Connection) -> bool:
        return True

    def release(self) -> None:
        pass


class FileLock:
    """An exclusive flock on `path`, held while this process lives."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file: IO[bytes] | None = None

    def is_leader(self) -> bool:
        if self._file is not None:
            return True
        handle = self.path.open("ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n".encode())
        handle.flush()
        self._file = handle
        return True

    def fence(self, conn: Connection) -> bool:
        return self._file is not None  # a flock is only lost with the process

    def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class AdvisoryLock:
    """A PostgreSQL session-level advisory lock on a connection of its own."""

    def __init__(
        self, engine: Engine, key: tuple[int, int] = SCHEDULER_LOCK, idle_timeout: float = 10.0
    ) -> None:
        self.key = key
        self.idle_timeout = idle_timeout
        self._engine = create_engine(
            engine.url,
            poolclass=NullPool,
            connect_args={"connect_timeout": 5, "keepalives": 1, "keepalives_idle": 5},
        )
        self._conn: Connection | None = None
        self._pid: int | None = None  # the server process of the session holding the lock

    def _connect(self) -> Connection:
        conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        # A leader that stops pinging (hung, stopped, cut off) loses its session, so the lock.
        with contextlib.suppress(DBAPIError):  # servers older than 14 lack the setting
            conn.execute(text(f"SET idle_session_timeout = {int(self.idle_timeout * 1000)}"))
        return conn

    def is_leader(self) -> bool:
        try:
            if self._conn is None:
                self._conn = self._connect()
            if self._pid is not None:
                self._conn.execute(text("SELECT 1"))  # the ping that keeps the session
                return True
            got = self._conn.execute(
                text("SELECT pg_try_advisory_lock(:a, :b), pg_backend_pid()"),
                {"a": self.key[0], "b": self.key[1]},
            ).one()
        except SQLAlchemyError as exc:
            if self._pid is not None:
                log.warning("lost the scheduling lock: %s", exc)
            self._drop()
            return False
        if got[0]:
            self._pid = int(got[1])
        return self._pid is not None

    def fence(self, conn: Connection) -> bool:
        if self._pid is None:
            return False
        held = conn.execute(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND classid = :a AND objid = :b AND objsubid = 2 AND pid = :pid"
            ),
            {"a": self.key[0], "b": self.key[1], "pid": self._pid},
        ).scalar_one()
        return bool(held)

    def _drop(self) -> None:
        self._pid = None
        if self._conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._conn.close()
            self._conn = None

    def release(self) -> None:
        if self._conn is not None and self._pid is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._conn.execute(
                    text("SELECT pg_advisory_unlock(:a, :b)"),
                    {"a": self.key[0], "b": self.key[1]},
                )
        self._drop()
        self._engine.dispose()


def elect(engine: Engine) -> Leadership:
    """The election that fits the engine's database."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return AdvisoryLock(engine)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return FileLock(f"{url.database}.leader")
    return Solo()
