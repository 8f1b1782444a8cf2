"""The facade contract's fixtures: one database per backend, a real `vigil serve` on it, and `connect`
giving a connection acting as a given user over each transport (in-process, HTTP with that user's token).

Tests share one database per backend (a server per database costs seconds), so each makes its own
records and never counts on numbers or totals.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import vigil
from tests.dbutil import BACKENDS, fresh_database
from tests.procs import Server, vigil_serve
from vigil import migrate
from vigil.auth import service as auth_service
from vigil.auth.schemas import TokenCreate
from vigil.client import Vigil
from vigil.core.actor import Channel
from vigil.core.db import Database

ADMIN = "admin@vigil.example"
TRANSPORTS = ["local", "http"]
_seq = itertools.count(1)


def unique(prefix: str = "t") -> str:
    """A word no other test uses (titles, names, search terms)."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def mint_token(db_url: str, email: str, scope: str = "write") -> str:
    """A personal access token of `email`, made as that user would make it."""
    db = Database(db_url)
    try:
        with db.unit_of_work() as session:
            user = auth_service.resolve_user(session, email)
            _, raw = auth_service.tokens.create(
                session=session,
                actor=auth_service.actor_for(user, Channel.API),
                data=TokenCreate(name=f"contract {next(_seq)}", scope=scope),
            )
        return raw
    finally:
        db.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database with its first administrator (admin@vigil.example)."""
    with fresh_database(request.param, tmp_path_factory.mktemp("library")) as url:
        migrate.upgrade(url)
        vigil.connect(url).close()  # creates the administrator
        yield url


@pytest.fixture(scope="session")
def server(database: str) -> Iterator[Server]:
    with vigil_serve(database) as running:
        yield running


@dataclass
class Connector:
    """Opens connections over one transport to the shared database, closing them after the test."""

    transport: str
    database: str
    server_url: Callable[[], str]
    opened: list[Vigil]

    def __call__(self, email: str = ADMIN, *, scope: str | None = None, **options: object) -> Vigil:
        if self.transport == "local":
            v = vigil.connect(self.database, user=email, migrate=False)
        else:
            scope = scope or ("admin" if email == ADMIN else "write")
            token = mint_token(self.database, email, scope)
            v = vigil.connect(self.server_url(), token=token, **options)  # type: ignore[arg-type]
        self.opened.append(v)
        return v

    def user(self, role: str) -> str:
        """A new user with `role`; returns the email."""
        email = f"{role}-{unique()}@example.com"
        admin = vigil.connect(self.database, user=ADMIN, migrate=False)
        try:
            admin.users.create(email=email, display_name=f"{role} {email[:12]}", role=role)
        finally:
            admin.close()
        return email


@pytest.fixture(params=TRANSPORTS)
def connect(request: pytest.FixtureRequest, database: str) -> Iterator[Connector]:
    """`connect(email)`: a connection acting as that user; `connect.user(role)` makes one."""
    connector = Connector(
        transport=request.param,
        database=database,
        server_url=lambda: request.getfixturevalue("server").url,
        opened=[],
    )
    yield connector
    for v in connector.opened:
        v.close()


@pytest.fixture
def v(connect: Connector) -> Vigil:
    """The administrator's connection over the transport under test."""
    return connect()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path
