"""Migrations: the revisions build exactly the schema in c2net.store.schema (the drift test),
on SQLite and PostgreSQL, and a database is migrated once however many replicas start."""

from __future__ import annotations

import threading

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from c2net.store import Store, make_engine
from c2net.store.migrations import config, current, head, upgrade
from c2net.store.schema import metadata

HOW_TO_FIX = (
    "c2net/store/schema.py and the migrations differ: add a revision with "
    "`.venv/bin/python -m c2net.store.migrations revision -m 'what changed'`, read it, "
    "and commit it with the schema change"
)


def _drift(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_the_revisions_build_the_schema(db_url: str) -> None:
    """The drift test: fails when a table, column, type, index or constraint is in one and
    not the other."""
    engine = make_engine(db_url, migrate=True)
    try:
        with engine.connect() as conn:
            assert current(conn) == head()
        assert _drift(engine) == [], HOW_TO_FIX
    finally:
        engine.dispose()


def test_every_revision_downgrades_and_upgrades_again(db_url: str) -> None:
    engine = make_engine(db_url, migrate=True)
    try:
        with engine.begin() as conn:
            command.downgrade(config(conn), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert _drift(engine) == [], HOW_TO_FIX
    finally:
        engine.dispose()


def test_a_database_made_before_migrations_is_adopted(db_url: str) -> None:
    engine = make_engine(db_url, migrate=False)  # tables from the metadata, no alembic_version
    engine.dispose()
    engine = make_engine(db_url, migrate=True)
    try:
        with engine.connect() as conn:
            assert current(conn) == head()
        assert _drift(engine) == []
    finally:
        engine.dispose()


def test_replicas_starting_together_migrate_once(db_url: str) -> None:
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []
    engines: list[Engine] = []

    def start() -> None:
        barrier.wait()
        try:
            engines.append(make_engine(db_url, migrate=True))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    try:
        assert errors == []
        with engines[0].connect() as conn:
            assert current(conn) == head()
    finally:
        for e in engines:
            e.dispose()


def test_store_migrates_postgresql_by_default(postgres_url: str) -> None:
    store = Store(postgres_url)
    try:
        with store.engine.connect() as conn:
            assert current(conn) == head()
    finally:
        store.engine.dispose()
