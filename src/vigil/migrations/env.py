"""Alembic environment: one tree for SQLite and PostgreSQL (batch mode for SQLite's ALTER limits)."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context

from vigil.core import search
from vigil.core.db import UTCDateTime, make_engine
from vigil.models import metadata

config = context.config


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render Vigil's column types as plain SQLAlchemy ones: revisions must not import Vigil code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


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
            if conn.dialect.name != "sqlite":
                _run(conn)
                return
            # Batch mode rebuilds SQLite tables that other rows reference; that needs foreign keys
            # off (a pragma that only works outside a transaction), then a full integrity check.
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute("PRAGMA foreign_keys=OFF")
            try:
                _run(conn)
                broken = raw.execute("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left rows violating foreign keys: {broken[:5]}")
            finally:
                raw.execute("PRAGMA foreign_keys=ON")
    finally:
        engine.dispose()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=render_item,
        include_name=search.include_name,
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
