"""Upkeep tasks: expired sessions, old login attempts and stale idempotency keys are purged by the worker."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.conftest import Clock
from tests.factories.auth import make_user
from vigil.auth import service as auth_service
from vigil.auth.models import LoginAttempt, UserSession
from vigil.auth.settings import AuthSettings
from vigil.core import idempotency
from vigil.core.actor import Actor
from vigil.core.db import Database
from vigil.core.jobs import worker


def test_worker_purges_expired_sessions_attempts_and_idempotency_keys(
    db: Database, admin: Actor, frozen_clock: Clock
) -> None:
    with db.unit_of_work() as s:
        user = make_user(s, admin)
        auth_service.sessions.start(
            s, user, ip="1.2.3.4", user_agent=None, settings=AuthSettings(session_hours=1)
        )
        s.add(LoginAttempt(email="x@example.com", ip="1.2.3.4", succeeded=False, at=frozen_clock.now))
        idempotency.store(s, scope="u:POST /x", key="k", request_hash="h", status_code=201, body={})
    frozen_clock.advance(days=31)
    with db.unit_of_work() as s:
        fresh = make_user(s, admin)
        auth_service.sessions.start(s, fresh, ip="1.2.3.4", user_agent=None, settings=AuthSettings())
    worker.run_pending(db)
    with db.unit_of_work() as s:
        assert [row.user_id for row in s.scalars(select(UserSession))] == [fresh.id]
        assert s.scalar(select(func.count()).select_from(LoginAttempt)) == 0
        assert s.scalar(select(func.count()).select_from(idempotency.IdempotentResponse)) == 0
