"""Web forms for an incident's watchers, links and attachments, and the queue's bulk actions.

Registered before `incidents.ui`, whose `POST /incidents/{ref}/{action}` would otherwise take these paths.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from vigil.auth.deps import WebActor
from vigil.core import attachments as files
from vigil.core import validation
from vigil.core.actor import Actor
from vigil.core.errors import Invalid, VigilError
from vigil.core.related import LinkCreate
from vigil.incidents.schemas_bulk import IncidentBulk
from vigil.incidents.service import bulk, related
from vigil.incidents.ui import detail_page
from vigil.web import downloads
from vigil.web.deps import Db, FormBody
from vigil.web.templating import render

router = APIRouter(prefix="/incidents", include_in_schema=False)
Work = Callable[[Session, Actor], object]


def _apply(request: Request, db: Db, actor: Actor, ref: str, notice: str, work: Work) -> Response:
    """Run one change, then back to the incident page (with the reason on the page if refused)."""
    try:
        with db.unit_of_work() as session:
            work(session, actor)
        return RedirectResponse(f"/incidents/{ref}?notice={notice}", status_code=303)
    except ValidationError as exc:
        message = "; ".join(f"{k}: {v}" for k, v in validation.first_per_field(exc).items())
        return detail_page(request, db, actor, ref, error=message, status_code=422)
    except VigilError as exc:  # the page itself is a 404 if the incident is not visible
        return detail_page(request, db, actor, ref, error=exc.detail, status_code=exc.status)


@router.post("/bulk", response_class=HTMLResponse)
def bulk_action(request: Request, db: Db, actor: WebActor, posted: FormBody) -> Response:
    """The queue's bulk-action bar: the checked incidents, one action, then each outcome."""
    form: dict[str, Any] = {
        k: v.strip() for k, v in posted.items() if isinstance(v, str) and k != "csrf_token"
    }
    form["refs"] = [str(r) for r in posted.getlist("refs")]
    form["internal"] = form.get("internal") == "on"
    for optional in ("assigned_to", "assignment_group", "body", "resolution_notes", "note"):
        if not form.get(optional):
            form.pop(optional, None)
    try:
        data = IncidentBulk.model_validate(form)
    except ValidationError as exc:
        message = "; ".join(f"{k}: {v}" for k, v in validation.first_per_field(exc).items())
        return render(request, "incidents/bulk.html", {"error": message, "result": None}, status_code=422)
    with db.unit_of_work() as session:
        result = bulk.run(session=session, actor=actor, data=data)
    return render(request, "incidents/bulk.html", {"error": None, "result": result})


@router.post("/{ref}/watch", response_class=HTMLResponse)
def watch(request: Request, ref: str, db: Db, actor: WebActor) -> Response:
    return _apply(request, db, actor, ref, "watch", lambda s, a: related.watch(session=s, actor=a, ref=ref))


@router.post("/{ref}/unwatch", response_class=HTMLResponse)
def unwatch(request: Request, ref: str, db: Db, actor: WebActor) -> Response:
    return _apply(
        request,
        db,
        actor,
        ref,
        "unwatch",
        lambda s, a: related.unwatch(session=s, actor=a, ref=ref, user=None),
    )


@router.post("/{ref}/watchers", response_class=HTMLResponse)
def add_watcher(request: Request, ref: str, db: Db, actor: WebActor, posted: FormBody) -> Response:
    user = str(posted.get("user", "")).strip()

    def work(s: Session, a: Actor) -> object:
        if not user:
            raise Invalid("choose whom to add", field="user")
        return related.watch(session=s, actor=a, ref=ref, user=user)

    return _apply(request, db, actor, ref, "watcher_added", work)


@router.post("/{ref}/watchers/{user_id}/remove", response_class=HTMLResponse)
def remove_watcher(request: Request, ref: str, user_id: uuid.UUID, db: Db, actor: WebActor) -> Response:
    return _apply(
        request,
        db,
        actor,
        ref,
        "watcher_removed",
        lambda s, a: related.unwatch(session=s, actor=a, ref=ref, user=user_id),
    )


@router.post("/{ref}/links", response_class=HTMLResponse)
def add_link(request: Request, ref: str, db: Db, actor: WebActor, posted: FormBody) -> Response:
    def work(s: Session, a: Actor) -> object:
        data = LinkCreate.model_validate(
            {"kind": str(posted.get("kind", "")), "target": str(posted.get("target", "")).strip()}
        )
        return related.link(session=s, actor=a, ref=ref, data=data)

    return _apply(request, db, actor, ref, "linked", work)


@router.post("/{ref}/links/{link_id}/remove", response_class=HTMLResponse)
def remove_link(request: Request, ref: str, link_id: uuid.UUID, db: Db, actor: WebActor) -> Response:
    return _apply(
        request,
        db,
        actor,
        ref,
        "unlinked",
        lambda s, a: related.unlink(session=s, actor=a, ref=ref, link_id=link_id),
    )


@router.post("/{ref}/attachments", response_class=HTMLResponse)
def attach(request: Request, ref: str, db: Db, actor: WebActor, posted: FormBody) -> Response:
    upload = posted.get("file")
    try:
        if upload is None or isinstance(upload, str) or not upload.filename:
            raise Invalid("choose a file to attach", field="file")
        with db.unit_of_work() as session:  # refused before anything is stored
            related.check_attach(session=session, actor=actor, ref=ref)
        stored = files.store(upload.file, upload.content_type)
        with files.discarded_unless_kept(db, stored), db.unit_of_work() as session:
            related.attach(session=session, actor=actor, ref=ref, filename=upload.filename, stored=stored)
    except VigilError as exc:  # the page itself is a 404 if the incident is not visible
        return detail_page(request, db, actor, ref, error=exc.detail, status_code=exc.status)
    return RedirectResponse(f"/incidents/{ref}?notice=attached", status_code=303)


@router.get("/{ref}/attachments/{attachment_id}")
def download(ref: str, attachment_id: uuid.UUID, db: Db, actor: WebActor) -> FileResponse:
    with db.unit_of_work() as session:
        found = related.attachment(session=session, actor=actor, ref=ref, attachment_id=attachment_id)
    return downloads.download(found)


@router.get("/{ref}/attachments/{attachment_id}/thumbnail")
def thumbnail(ref: str, attachment_id: uuid.UUID, db: Db, actor: WebActor) -> FileResponse:
    with db.unit_of_work() as session:
        found = related.attachment(session=session, actor=actor, ref=ref, attachment_id=attachment_id)
    return downloads.thumbnail(found)


@router.post("/{ref}/attachments/{attachment_id}/delete", response_class=HTMLResponse)
def delete_attachment(
    request: Request, ref: str, attachment_id: uuid.UUID, db: Db, actor: WebActor
) -> Response:
    return _apply(
        request,
        db,
        actor,
        ref,
        "attachment_deleted",
        lambda s, a: related.delete_attachment(session=s, actor=a, ref=ref, attachment_id=attachment_id),
    )
