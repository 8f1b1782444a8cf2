"""Watchers (CC) of records of any domain: people who follow a ticket without working it.

Stored once per (record, user); domains decide who may add whom and show the names. A watcher may see
the record they watch: domains OR `watched_by(actor)` into their `visible()` predicate.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, ForeignKey, Index, String, Uuid, delete, select
from sqlalchemy.orm import InstrumentedAttribute, Mapped, Session, mapped_column

from vigil.core import audit, clock
from vigil.core.actor import Actor
from vigil.core.db import Base
from vigil.core.errors import Duplicate, NotFound


class Watcher(Base):
    """`user_id` watches the record (`record_type`, `record_id`)."""

    __tablename__ = "watcher"
    __table_args__ = (Index("ix_watcher_user", "user_id", "record_type", "record_id"),)

    record_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    added_at: Mapped[datetime]
    added_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


def watched_by(
    record_type: str,
    record_id: ColumnElement[uuid.UUID] | InstrumentedAttribute[uuid.UUID],
    user_id: uuid.UUID | None,
) -> ColumnElement[bool]:
    """SQL condition: the record whose id is `record_id` is watched by `user_id` (an index probe)."""
    return record_id.in_(
        select(Watcher.record_id).where(Watcher.user_id == user_id, Watcher.record_type == record_type)
    )


def of(session: Session, record_type: str, record_id: uuid.UUID) -> list[Watcher]:
    """The record's watchers, in the order they were added."""
    stmt = (
        select(Watcher)
        .where(Watcher.record_type == record_type, Watcher.record_id == record_id)
        .order_by(Watcher.added_at, Watcher.user_id)
    )
    return list(session.scalars(stmt))


def add(
    session: Session, actor: Actor, *, record_type: str, record_id: uuid.UUID, user_id: uuid.UUID, label: str
) -> Watcher:
    """Add `user_id` (shown as `label` in the audit trail) to the record's watchers; twice is a 409."""
    if session.get(Watcher, (record_type, record_id, user_id)) is not None:
        raise Duplicate(f"{label} already watches this {record_type}")
    watcher = Watcher(
        record_type=record_type,
        record_id=record_id,
        user_id=user_id,
        added_at=clock.now(),
        added_by_id=actor.user_id,
    )
    session.add(watcher)
    session.flush()
    audit.record(
        session,
        actor,
        action=f"{record_type}.watcher_add",
        object_type=record_type,
        object_id=record_id,
        changes={"watchers": [None, label]},
    )
    return watcher


def remove(
    session: Session, actor: Actor, *, record_type: str, record_id: uuid.UUID, user_id: uuid.UUID, label: str
) -> None:
    """Remove `user_id` from the record's watchers; one who is not watching is a 404."""
    gone = session.execute(
        delete(Watcher).where(
            Watcher.record_type == record_type, Watcher.record_id == record_id, Watcher.user_id == user_id
        )
    )
    if not gone.rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"{label} does not watch this {record_type}")
    audit.record(
        session,
        actor,
        action=f"{record_type}.watcher_remove",
        object_type=record_type,
        object_id=record_id,
        changes={"watchers": [label, None]},
    )
