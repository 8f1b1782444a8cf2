"""Test databases: which backends to run on, and throwaway databases for tests that must commit."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import make_url, text

from vigil.core.db import make_engine

PG_URL = os.environ.get("VIGIL_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@contextmanager
def fresh_database(backend: str, tmp: Path) -> Iterator[str]:
    """A new, empty database on `backend` for as long as the block runs; yields its URL."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp / f'vigil-{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"vigil_t_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(make_engine(PG_URL).url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def reset_postgres_schema(url: str) -> None:
    """Start the shared PostgreSQL test database from an empty public schema."""
    engine = make_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
