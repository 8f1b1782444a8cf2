"""`v.notifications` of `vigil.connect(...)`: the connection user's own inbox, over either transport."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from vigil.core.actor import Actor
from vigil.core.facade import Operation, Transport, pages, parse, query, segment
from vigil.notifications import service
from vigil.notifications.schemas import (
    NotificationFilter,
    NotificationPage,
    NotificationRead,
    ReadAll,
    UnreadCount,
)


class Notifications:
    """`v.notifications`: list your notifications, count the unread ones, mark them read."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def list(self, *, unread: bool = False, **filters: Any) -> NotificationPage:
        """One page of your notifications, newest first (`unread=True`: only unread; `limit`, `cursor`)."""
        f = parse(NotificationFilter, {"unread": unread, **filters})

        def run(s: Session, a: Actor) -> NotificationPage:
            page = service.inbox(session=s, actor=a, filters=f)
            return NotificationPage(
                items=[service.to_read(n) for n in page.items], next_cursor=page.next_cursor
            )

        return self._t.run(
            Operation(
                local=run,
                method="GET",
                path="/notifications",
                query=query(f),
                answer=NotificationPage.model_validate,
            )
        )

    def iterate(self, *, unread: bool = False, **filters: Any) -> Iterator[NotificationRead]:
        """Every notification (or every unread one), a page at a time as you go."""
        start = filters.pop("cursor", None)
        return pages(lambda cursor: self.list(unread=unread, **filters, cursor=cursor), start=start)

    def unread_count(self) -> int:
        """How many of your notifications are unread (counted up to 1000)."""
        found = self._t.run(
            Operation(
                local=lambda s, a: service.unread_count(session=s, actor=a),
                method="GET",
                path="/notifications/unread-count",
                answer=UnreadCount.model_validate,
            )
        )
        return found.unread

    def mark_read(self, notification_id: uuid.UUID | str) -> NotificationRead:
        """Mark one of your notifications read; someone else's is NotFound."""
        ref = uuid.UUID(str(notification_id))
        return self._t.run(
            Operation(
                local=lambda s, a: service.to_read(
                    service.mark_read(session=s, actor=a, notification_id=ref)
                ),
                method="POST",
                path=f"/notifications/{segment(ref)}/read",
                answer=NotificationRead.model_validate,
            )
        )

    def mark_all_read(self) -> int:
        """Mark all your unread notifications read; returns how many."""
        done = self._t.run(
            Operation(
                local=lambda s, a: ReadAll(marked=service.mark_all_read(session=s, actor=a)),
                method="POST",
                path="/notifications/read-all",
                answer=ReadAll.model_validate,
            )
        )
        return done.marked
