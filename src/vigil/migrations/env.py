"""Alembic environment: one tree for SQLite and PostgreSQL (batch mode for SQLite's ALTER limits)."""

from __future__ import annotations

from alembic import context

from vigil.core.db import make_engine
from vigil.models import metadata

config = context.config


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    commit = getattr(connection, "commit", None)
    if commit is not None and getattr(connection, "in_transaction", lambda: False)():
        commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
