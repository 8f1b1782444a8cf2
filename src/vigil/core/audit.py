"""Append-only audit log: every mutation writes one record in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Uuid, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from vigil.core import clock
from vigil.core.actor import Actor
from vigil.core.db import Base

#: A change set maps a field name to its [old, new] values, both JSON-serialisable.
Changes = dict[str, list[Any]]


class AuditRecord(Base):
    __tablename__ = "audit_record"
    __table_args__ = (Index("ix_audit_record_object", "object_type", "object_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    occurred_at: Mapped[datetime]
    actor_id: Mapped[Any] = mapped_column(Uuid, nullable=True)
    actor_name: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    channel: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str | None] = mapped_column(String(64))


def record(
    session: Session,
    actor: Actor,
    *,
    action: str,
    object_type: str,
    object_id: object,
    changes: Changes | None = None,
) -> AuditRecord:
    """Append one audit record; flushed with the caller's transaction, never committed here."""
    entry = AuditRecord(
        occurred_at=clock.now(),
        actor_id=actor.user_id,
        actor_name=actor.display_name,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        changes=changes or {},
        channel=str(actor.channel),
        request_id=actor.request_id,
    )
    session.add(entry)
    session.flush()
    return entry


def for_object(session: Session, object_type: str, object_id: object) -> list[AuditRecord]:
    stmt = (
        select(AuditRecord)
        .where(AuditRecord.object_type == object_type, AuditRecord.object_id == str(object_id))
        .order_by(AuditRecord.id)
    )
    return list(session.scalars(stmt))


def diff(before: dict[str, Any], after: dict[str, Any]) -> Changes:
    """Field-by-field [old, new] for every key whose value changed."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
