"""REST endpoints for the caller's own inbox under /api/v1/notifications (any signed-in user)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from vigil.auth.deps import ApiActor
from vigil.notifications import service
from vigil.notifications.schemas import (
    NotificationFilter,
    NotificationPage,
    NotificationRead,
    ReadAll,
    UnreadCount,
)
from vigil.web import problems
from vigil.web.deps import Db

router = APIRouter(
    prefix="/api/v1/notifications", tags=["notifications"], responses=problems.responses(401, 422)
)


@router.get("", response_model=NotificationPage)
def list_notifications(
    db: Db, actor: ApiActor, filters: Annotated[NotificationFilter, Query()]
) -> NotificationPage:
    """The caller's notifications, newest first (`?unread=true`: only unread ones)."""
    with db.unit_of_work() as session:
        page = service.inbox(session=session, actor=actor, filters=filters)
        return NotificationPage(items=[service.to_read(n) for n in page.items], next_cursor=page.next_cursor)


@router.get("/unread-count", response_model=UnreadCount)
def unread_notifications(db: Db, actor: ApiActor) -> UnreadCount:
    with db.unit_of_work() as session:
        return service.unread_count(session=session, actor=actor)


@router.post("/read-all", response_model=ReadAll)
def read_all_notifications(db: Db, actor: ApiActor) -> ReadAll:
    with db.unit_of_work() as session:
        return ReadAll(marked=service.mark_all_read(session=session, actor=actor))


@router.post("/{notification_id}/read", response_model=NotificationRead, responses=problems.responses(404))
def read_notification(db: Db, actor: ApiActor, notification_id: uuid.UUID) -> NotificationRead:
    """Mark one of the caller's notifications read; anyone else's is a 404."""
    with db.unit_of_work() as session:
        note = service.mark_read(session=session, actor=actor, notification_id=notification_id)
        return service.to_read(note)
