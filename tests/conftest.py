"""Fixtures: every database test runs on SQLite and, when VIGIL_TEST_DATABASE_URL is set, on PostgreSQL.

Each test gets one connection and an outer transaction; every unit of work inside it is a savepoint, so
nothing a test writes survives it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from tests.dbutil import BACKENDS, PG_URL, drop_worker_database, reset_postgres_schema
from tests.factories.auth import WebClient, api_token, login_as
from vigil import domains, migrate
from vigil.app import create_app
from vigil.auth import service as auth_service
from vigil.core import cache, clock
from vigil.core.actor import Actor, Channel
from vigil.core.db import Database, make_engine

#: `cli_db` (a migrated database for `vigil ...` runs) for every CLI test module.
pytest_plugins = ["tests.clihelp"]

# Audit key: every test, and every `vigil` subprocess a test starts (they inherit the environment), uses a
# throwaway key file in a temporary directory, never ./vigil-audit.key in the working tree.
_AUDIT_KEY_DIR = tempfile.mkdtemp(prefix="vigil-test-audit-key-")
atexit.register(shutil.rmtree, _AUDIT_KEY_DIR, ignore_errors=True)
os.environ.setdefault("VIGIL_AUDIT_KEY_FILE", os.path.join(_AUDIT_KEY_DIR, "vigil-audit.key"))
# Attachments likewise go to a throwaway store, never ./vigil-attachments.
os.environ.setdefault("VIGIL_ATTACHMENT_DIR", os.path.join(_AUDIT_KEY_DIR, "attachments"))
# The CLI's remote mode: no test picks up a developer's `vigil login` (kept under XDG_CONFIG_HOME) or a
# VIGIL_URL/VIGIL_TOKEN from the shell; tests that want one set it themselves.
os.environ["XDG_CONFIG_HOME"] = os.path.join(_AUDIT_KEY_DIR, "config")
os.environ.pop("VIGIL_URL", None)
os.environ.pop("VIGIL_TOKEN", None)
# The suite makes thousands of API calls per token within minutes: limits high enough never to bite, but
# counted (so the middleware runs in every test); tests/web/test_ratelimit.py sets small ones.
os.environ.setdefault("VIGIL_RATE_LIMIT_PER_TOKEN", "1000000/minute")
os.environ.setdefault("VIGIL_RATE_LIMIT_PER_ADDRESS", "1000000/minute")


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        url = PG_URL
        reset_postgres_schema(url)
    migrate.upgrade(url)
    eng = make_engine(url)
    yield eng
    eng.dispose()
    if request.param != "sqlite":
        drop_worker_database(url)


@pytest.fixture
def backend(engine: Engine) -> str:
    return engine.dialect.name


@pytest.fixture
def db(engine: Engine) -> Iterator[Database]:
    """A Database whose units of work are savepoints inside one rolled-back transaction."""
    domains.load()
    conn = engine.connect()
    outer = conn.begin()
    try:
        yield Database(engine=engine, bind=conn, join_transaction_mode="create_savepoint")
    finally:
        outer.rollback()
        conn.close()


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.unit_of_work() as s:
        yield s


@pytest.fixture
def admin(session: Session) -> Actor:
    """An administrator (admin@vigil.example, no password), acting through the API."""
    made = auth_service.ensure_first_admin(session, "admin@vigil.example", None, generate=False)
    user = made[0] if made else auth_service.resolve_user(session, "admin@vigil.example")
    return auth_service.actor_for(user, Channel.API)


@pytest.fixture
def api_client(db: Database, session: Session, admin: Actor) -> Iterator[TestClient]:
    """An API client holding an admin-scope token of the administrator."""
    with TestClient(create_app(db)) as client:
        client.headers["Authorization"] = f"Bearer {api_token(session, admin.user_id, 'admin')}"
        yield client


@pytest.fixture
def web_client(db: Database, session: Session, admin: Actor) -> Iterator[WebClient]:
    """A browser-like client logged in as the administrator; its form posts carry the CSRF token."""
    with WebClient(create_app(db)) as client:
        login_as(client, session, admin.user_id)
        yield client


class Clock:
    """A controllable clock: `advance()` moves time forward without sleeping."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


@pytest.fixture
def frozen_clock() -> Iterator[Clock]:
    c = Clock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    clock.set_clock(c)
    yield c
    clock.reset_clock()


@pytest.fixture
def count_queries(engine: Engine) -> Callable[[], list[str]]:
    """Start recording SQL statements on the engine; call the returned function to read them."""
    statements: list[str] = []

    def record(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield lambda: list(statements)  # type: ignore[misc]
    event.remove(engine, "before_cursor_execute", record)


@pytest.fixture(autouse=True)
def _cold_caches() -> None:
    """Each test starts as a fresh process would: no reference data cached from a rolled-back test."""
    cache.clear_all()


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests may only reach this machine: any other address fails loudly."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        if isinstance(address, tuple) and address:
            host = str(address[0])
            if not (host.startswith("127.") or host in ("::1", "localhost", "0.0.0.0")):
                raise RuntimeError(f"test tried to reach a non-loopback address: {host}")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def tmp_dir(tmp_path: Path) -> Path:
    return tmp_path
