"""Engines: SQLite (embedded, the default) or PostgreSQL (production; psycopg 3).

A persistent database is brought to the newest schema by the Alembic migrations in
`c2net.store.migrations` (PostgreSQL always, SQLite when asked with `migrate=True`); an
in-memory or scratch SQLite database is created straight from the metadata.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from c2net.store.schema import metadata

__all__ = ["is_memory", "make_engine"]

# PostgreSQL text cannot hold NUL; it is stored as U+REPLACEMENT CHARACTER (same length).
_NUL, _REPLACEMENT = "\x00", "\ufffd"

# Find a dead server or a dead network path within about 25 s instead of the kernel's hours.
_PG_CONNECT_ARGS: dict[str, Any] = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}


def is_memory(url: str) -> bool:
    """An in-memory SQLite database: one connection, gone with the process."""
    return url in ("sqlite://", "sqlite:///:memory:")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Transactions from SQLAlchemy's BEGIN (below), not pysqlite's, which opens one only before
    # a write: a read-then-write (a report, expiry, a log chunk) must read inside it, or a
    # second process's commit in between is overwritten instead of refused.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    _wal(cur)
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _wal(cur: Any, patience: float = 30.0) -> None:
    """Put the database in WAL mode (it stays so in the file). Switching needs the database
    to itself and SQLite refuses at once, without waiting, while another connection opens it
    (replicas starting together): try again until `patience` runs out."""
    deadline = time.monotonic() + patience
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _sqlite_begin(conn: Any) -> None:
    """BEGIN IMMEDIATE: a transaction takes the write lock first, so writers in several
    processes queue (busy_timeout) instead of failing on a stale read. A read-only connection
    asks for a plain BEGIN with the execution option `sqlite_begin=""` (StoreBase._read)."""
    conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get('sqlite_begin', '')}".strip())


def _pg_nul_safe_text(dbapi_conn: Any, _record: Any) -> None:
    """Make every str parameter storable: PostgreSQL refuses NUL in text values."""
    from psycopg.types.string import StrBinaryDumper, StrDumperUnknown

    class _Binary(StrBinaryDumper):
        def dump(self, obj: str) -> Any:
            return super().dump(obj.replace(_NUL, _REPLACEMENT))

    class _Text(StrDumperUnknown):
        def dump(self, obj: str) -> Any:
            return super().dump(obj.replace(_NUL, _REPLACEMENT))

    # the text dumper last: it stays psycopg's choice for `%s` (AUTO), as by default
    dbapi_conn.adapters.register_dumper(str, _Binary)
    dbapi_conn.adapters.register_dumper(str, _Text)


def make_engine(url: str = "sqlite://", *, migrate: bool | None = None) -> Engine:
    """An engine with the schema in place. `sqlite://` is in memory (one shared connection).

    `migrate`: run the migrations up to the newest revision (True), or create the tables from
    the metadata (False). Unset, PostgreSQL is migrated and SQLite is created."""
    dialect = make_url(url).get_backend_name()
    if dialect == "sqlite":
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        if is_memory(url):
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, execution_options={"sqlite_begin": "IMMEDIATE"}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    elif dialect == "postgresql":
        engine = create_engine(
            url,
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=20,
            connect_args=dict(_PG_CONNECT_ARGS),
        )
        if engine.dialect.driver == "psycopg":
            event.listen(engine, "connect", _pg_nul_safe_text)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    if migrate if migrate is not None else dialect != "sqlite":
        from c2net.store.migrations import upgrade

        upgrade(engine)
    else:
        metadata.create_all(engine)
    return engine
