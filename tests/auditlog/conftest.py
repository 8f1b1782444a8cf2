"""Audit trail test helpers: named administrators, the app with the audit routers, committed databases."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.dbutil import fresh_database
from tests.factories.incidents import make_incident
from vigil import migrate
from vigil.app import create_app
from vigil.auditlog import api as auditlog_api
from vigil.auditlog import ui as auditlog_ui
from vigil.auth import service as auth_service
from vigil.auth.roles import Role
from vigil.auth.schemas import UserCreate
from vigil.core import audit, auditkey
from vigil.core.actor import Actor, Channel
from vigil.core.config import get_settings
from vigil.core.db import Database

_n = itertools.count(1)


def make_admin(session: Session, name: str = "Audrey Admin") -> Actor:
    """A real administrator account (so records carry a user id), created by Vigil itself."""
    user = auth_service.create_user(
        session=session,
        actor=auth_service.system_actor(Channel.API),
        data=UserCreate(email=f"auditor{next(_n)}@example.com", display_name=name, role=Role.ADMIN),
    )
    return auth_service.actor_for(user, Channel.API)


def build_app(db: Database) -> FastAPI:
    app = create_app(db)
    app.include_router(auditlog_api.router)
    app.include_router(auditlog_ui.router)
    return app


@contextmanager
def seeded(backend: str, tmp: Path, incidents: int = 4) -> Iterator[tuple[str, Database]]:
    """A fresh, migrated, committed database holding `incidents` incidents created through the service."""
    with fresh_database(backend, tmp) as url:
        migrate.upgrade(url)
        db = Database(url)
        try:
            with db.unit_of_work() as s:
                admin = make_admin(s)
                for i in range(incidents):
                    make_incident(s, admin, title=f"Disk full on db-{i}")
            yield url, db
        finally:
            db.dispose()


def execute(db: Database, sql: str, **params: Any) -> None:
    """Tamper with the database behind Vigil's back: raw SQL, committed."""
    with db.unit_of_work() as s:
        s.execute(text(sql), params)


def chain_ids(db: Database) -> dict[int, int]:
    """seq -> id of every audit record."""
    with db.unit_of_work() as s:
        return {seq: rid for seq, rid in s.execute(text("SELECT seq, id FROM audit_record ORDER BY seq"))}


def check(db: Database) -> tuple[int, audit.ChainProblem | None]:
    with db.unit_of_work() as s:
        return audit.verify(s)


def keyed_hash(entry: audit.AuditRecord, prev_hash: str | None = None) -> str:
    """What Vigil would MAC `entry` as with the current key (an attacker who has stolen the key)."""
    prev = entry.prev_hash if prev_hash is None else prev_hash
    return audit.record_mac(auditkey.keyring().secret, prev, audit.hashed_fields(entry))


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A key file path of this test's own, not created yet; the inline key is unset."""
    path = tmp_path / "keys" / "vigil-audit.key"
    monkeypatch.setenv("VIGIL_AUDIT_KEY_FILE", str(path))
    monkeypatch.delenv("VIGIL_AUDIT_KEY", raising=False)
    get_settings.cache_clear()
    auditkey.reset_cache()
    yield path
    get_settings.cache_clear()
    auditkey.reset_cache()
