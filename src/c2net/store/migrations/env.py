"""Alembic's environment: the project's metadata, the connection `upgrade()` passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from c2net.store.schema import metadata

target_metadata = metadata


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # `alembic -x url=...` from a shell, without the package's helpers
    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///c2net.db")
    with create_engine(url).begin() as conn:
        _run(conn)
