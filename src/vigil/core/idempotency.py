"""Idempotency-Key support: a retried POST returns the stored first response instead of acting twice."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from vigil.core import clock
from vigil.core.config import get_settings
from vigil.core.db import Base, UUIDPk
from vigil.core.errors import IdempotencyKeyReuse, Invalid
from vigil.core.jobs.queue import periodic


class IdempotentResponse(UUIDPk, Base):
    __tablename__ = "idempotent_response"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    scope: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    body: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime]


def request_fingerprint(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def validate_key(key: str) -> str:
    if not 1 <= len(key) <= 200 or not key.isprintable():
        raise Invalid("Idempotency-Key must be 1-200 printable characters")
    return key


def lookup(session: Session, *, scope: str, key: str, request_hash: str) -> IdempotentResponse | None:
    """The stored response for (scope, key), or None; the same key with another body is a Conflict."""
    found = session.scalars(
        select(IdempotentResponse).where(IdempotentResponse.scope == scope, IdempotentResponse.key == key)
    ).one_or_none()
    if found is None:
        return None
    if found.request_hash != request_hash:
        raise IdempotencyKeyReuse("Idempotency-Key was already used with a different request body")
    return found


def store(session: Session, *, scope: str, key: str, request_hash: str, status_code: int, body: Any) -> None:
    """Remember the response in the same transaction as the change it describes."""
    session.add(
        IdempotentResponse(
            scope=scope,
            key=key,
            request_hash=request_hash,
            status_code=status_code,
            body=body,
            created_at=clock.now(),
        )
    )
    session.flush()


@periodic(every=timedelta(hours=1), name="core.purge_idempotency_keys")
def purge(session: Session) -> int:
    """Forget stored responses older than VIGIL_IDEMPOTENCY_TTL_SECONDS."""
    return purge_expired(session, get_settings().idempotency_ttl_seconds)


def purge_expired(session: Session, ttl_seconds: int) -> int:
    cutoff = clock.now() - timedelta(seconds=ttl_seconds)
    result = session.execute(delete(IdempotentResponse).where(IdempotentResponse.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
