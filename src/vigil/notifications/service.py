"""The inbox's use cases: deliver notifications to users, list a user's own, count and mark them read.

`deliver` is called by the event handlers (jobs.py); everything else acts on the caller's own inbox
only, through `policy.visible`, so another user's notification is a 404 and never listed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from vigil.auth.models import User
from vigil.core import clock, pagination
from vigil.core.actor import Actor
from vigil.core.errors import NotFound
from vigil.core.pagination import Page
from vigil.notifications import policy
from vigil.notifications.models import (
    DeliveryChannel,
    DeliveryStatus,
    Kind,
    Notification,
    NotificationDelivery,
)
from vigil.notifications.schemas import NotificationFilter, NotificationRead, UnreadCount

#: The unread count stops counting here (an indexed range of LIMITed rows, never an unbounded COUNT).
UNREAD_BOUND = 1000
#: The channels each notification is delivered on. The inbox is delivered by writing the row; a later
#: channel (email, chat) is added here with a job handler `notifications.deliver.<channel>` (see
#: docs/notifications.md), and `deliver` writes its delivery row pending and enqueues that job.
CHANNELS: tuple[DeliveryChannel, ...] = (DeliveryChannel.INBOX,)


@dataclass(frozen=True)
class Record:
    """What a notification is about: its type and id (for the link and for later grouping)."""

    type: str
    id: uuid.UUID


def _active(session: Session, user_ids: set[uuid.UUID]) -> list[uuid.UUID]:
    if not user_ids:
        return []
    found = session.scalars(select(User.id).where(User.id.in_(user_ids), User.active.is_(True)))
    return sorted(found, key=str)  # a stable order: rows are written the same way on every run


def deliver(
    *,
    session: Session,
    user_ids: Iterable[uuid.UUID | None],
    kind: Kind,
    title: str,
    body: str = "",
    link: str | None = None,
    record: Record | None = None,
    actor_id: uuid.UUID | None = None,
) -> list[Notification]:
    """One notification per distinct active user in `user_ids`, except `actor_id` (nobody is told of
    their own action), each with its inbox delivery sent. Returns the notifications written."""
    wanted = {u for u in user_ids if u is not None and u != actor_id}
    now = clock.now()
    made: list[Notification] = []
    for user_id in _active(session, wanted):
        note = Notification(
            user_id=user_id,
            kind=str(kind),
            title=title[:200],
            body=body,
            link=link,
            record_type=record.type if record else None,
            record_id=record.id if record else None,
            created_at=now,
        )
        for channel in CHANNELS:
            inbox = channel == DeliveryChannel.INBOX
            note.deliveries.append(
                NotificationDelivery(
                    channel=str(channel),
                    status=DeliveryStatus.SENT if inbox else DeliveryStatus.PENDING,
                    attempts=1 if inbox else 0,
                    created_at=now,
                    sent_at=now if inbox else None,
                )
            )
        session.add(note)
        made.append(note)
    session.flush()
    return made


def inbox(*, session: Session, actor: Actor, filters: NotificationFilter) -> Page[Notification]:
    """The caller's notifications, newest first; `unread` keeps those not read yet."""
    stmt = select(Notification).where(policy.visible(actor))
    if filters.unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    return pagination.page(
        session,
        stmt,
        column=Notification.created_at,
        id_column=Notification.id,
        sort="notifications:unread" if filters.unread else "notifications",
        cursor=filters.cursor,
        limit=filters.limit,
        descending=True,
    )


def unread_count(*, session: Session, actor: Actor) -> UnreadCount:
    """How many of the caller's notifications are unread: one statement, at most `UNREAD_BOUND` rows."""
    unread = (
        select(Notification.id)
        .where(policy.visible(actor), Notification.read_at.is_(None))
        .limit(UNREAD_BOUND + 1)
        .subquery()
    )
    found = int(session.scalar(select(func.count()).select_from(unread)) or 0)
    return UnreadCount(unread=min(found, UNREAD_BOUND), capped=found > UNREAD_BOUND)


def get(*, session: Session, actor: Actor, notification_id: uuid.UUID) -> Notification:
    """One of the caller's notifications; anyone else's (or none) is NotFound."""
    found = session.scalar(
        select(Notification).where(policy.visible(actor), Notification.id == notification_id)
    )
    if found is None:
        raise NotFound(f"no notification {notification_id}")
    return found


def mark_read(*, session: Session, actor: Actor, notification_id: uuid.UUID) -> Notification:
    """Mark one of the caller's notifications read (again is harmless: the first time is kept)."""
    note = get(session=session, actor=actor, notification_id=notification_id)
    if note.read_at is None:
        note.read_at = clock.now()
        session.flush()
    return note


def mark_all_read(*, session: Session, actor: Actor) -> int:
    """Mark every unread notification of the caller read; returns how many."""
    result = session.execute(
        update(Notification)
        .where(policy.visible(actor), Notification.read_at.is_(None))
        .values(read_at=clock.now())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def to_read(note: Notification) -> NotificationRead:
    return NotificationRead.model_validate(note)
