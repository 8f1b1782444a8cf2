"""The inbox page (/notifications, staff and requesters alike), its mark-read forms, and the bell every
signed-in page shows in the top bar."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from vigil.auth.deps import WebActor
from vigil.core.actor import Actor
from vigil.core.db import Database, reading
from vigil.notifications import service
from vigil.notifications.schemas import NotificationFilter
from vigil.web import templating
from vigil.web.deps import Db
from vigil.web.templating import render

router = APIRouter(prefix="/notifications", include_in_schema=False)


@templating.page_context
def bell(request: Request, actor: Actor) -> dict[str, Any]:
    """The unread count for the top bar: one bounded COUNT, in a short reading transaction of its own
    (the page's unit of work has usually ended by the time it renders). No bell if it cannot be read:
    an error page must still render."""
    db: Database = request.app.state.db
    try:
        with reading(), db.unit_of_work() as session:
            return {"bell_unread": service.unread_count(session=session, actor=actor)}
    except SQLAlchemyError:
        return {}


@router.get("", response_class=HTMLResponse)
def inbox_page(request: Request, db: Db, actor: WebActor) -> Response:
    raw = {k: v for k, v in request.query_params.items() if k in ("unread", "cursor") and v}
    try:
        filters = NotificationFilter.model_validate(raw)
    except ValidationError:
        filters = NotificationFilter()
    with db.unit_of_work() as session:
        page = service.inbox(session=session, actor=actor, filters=filters)
        items = [service.to_read(n) for n in page.items]
    ctx: dict[str, Any] = {"items": items, "unread_only": filters.unread}
    if page.next_cursor:
        ctx["next_url"] = "?" + urlencode({**raw, "cursor": page.next_cursor})
    return render(request, "notifications/list.html", ctx)


def _back(unread_only: str | None) -> str:
    return "/notifications?unread=true" if unread_only == "true" else "/notifications"


@router.post("/read-all")
def read_all(request: Request, db: Db, actor: WebActor) -> Response:
    with db.unit_of_work() as session:
        service.mark_all_read(session=session, actor=actor)
    return RedirectResponse(_back(request.query_params.get("unread")), status_code=303)


@router.post("/{notification_id}/read")
def read_one(request: Request, notification_id: uuid.UUID, db: Db, actor: WebActor) -> Response:
    with db.unit_of_work() as session:
        service.mark_read(session=session, actor=actor, notification_id=notification_id)
    return RedirectResponse(_back(request.query_params.get("unread")), status_code=303)
