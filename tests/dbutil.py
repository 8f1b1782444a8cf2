"""Test databases: which backends to run on, and throwaway databases for tests that must commit."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import make_url, text

from vigil.core.db import make_engine

# The server's database named by VIGIL_TEST_DATABASE_URL: where throwaway databases are created from.
PG_BASE_URL = os.environ.get("VIGIL_TEST_DATABASE_URL", "")
# Under pytest-xdist (`make test` runs workers in parallel) each worker has a shared test database of its
# own, "<name>_<worker>", made by reset_postgres_schema(); alone, the suite uses the named database itself.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
PG_URL = (
    make_url(PG_BASE_URL)
    .set(database=f"{make_url(PG_BASE_URL).database}_{_WORKER}")
    .render_as_string(hide_password=False)
    if PG_BASE_URL and _WORKER
    else PG_BASE_URL
)
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@contextmanager
def fresh_database(backend: str, tmp: Path) -> Iterator[str]:
    """A new, empty database on `backend` for as long as the block runs; yields its URL."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp / f'vigil-{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"vigil_t_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_BASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(make_engine(PG_BASE_URL).url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def reset_postgres_schema(url: str) -> None:
    """Start the shared PostgreSQL test database from an empty public schema (creating it if missing)."""
    name = make_url(url).database
    server = make_engine(PG_BASE_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    engine = make_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def drop_worker_database(url: str) -> None:
    """Drop a worker's own shared test database (never the one VIGIL_TEST_DATABASE_URL names)."""
    if url == PG_BASE_URL:
        return
    server = make_engine(PG_BASE_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    server.dispose()
