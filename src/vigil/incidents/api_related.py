"""REST endpoints for an incident's watchers, typed links and attachments (/api/v1/incidents/{ref}/...)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Response, UploadFile
from fastapi.responses import FileResponse, JSONResponse

from vigil.auth.deps import ApiActor
from vigil.core import attachments as files
from vigil.core.errors import NotFound
from vigil.core.related import (
    AttachmentPage,
    AttachmentRead,
    LinkCreate,
    LinkPage,
    LinkRead,
    WatcherAdd,
    WatcherPage,
    WatcherRead,
)
from vigil.incidents.service import related
from vigil.web import downloads, idempotent, problems
from vigil.web.deps import Db
from vigil.web.idempotent import LOCATION, IdemKey

router = APIRouter(
    prefix="/api/v1/incidents", tags=["incidents"], responses=problems.responses(404, 409, 422)
)
CREATED: dict[int | str, dict[str, Any]] = {201: {"headers": LOCATION}}
#: Served files are never sniffed or run by the browser: downloads, in a sandbox if opened anyway.
DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
}


@router.get("/{ref}/watchers", response_model=WatcherPage)
def list_watchers(ref: str, db: Db, actor: ApiActor) -> WatcherPage:
    """Who watches the incident (CC): they see it and get its notifications."""
    with db.unit_of_work() as session:
        found = related.watcher_list(session=session, actor=actor, ref=ref)
    return WatcherPage(items=found, count=len(found), count_exact=True)


@router.get("/{ref}/watchers/{user}", response_model=WatcherRead)
def get_watcher(ref: str, user: str, db: Db, actor: ApiActor) -> WatcherRead:
    """One watcher, by user UUID or email (a 404 when they do not watch the incident)."""
    with db.unit_of_work() as session:
        found = related.watcher_list(session=session, actor=actor, ref=ref)
    key = user.strip().lower()
    for watcher in found:
        if key in (str(watcher.user_id), watcher.email.lower()):
            return watcher
    raise NotFound(f"{user} does not watch incident {ref}")


@router.post("/{ref}/watchers", response_model=WatcherRead, status_code=201, responses=CREATED)
def add_watcher(
    ref: str, db: Db, actor: ApiActor, data: WatcherAdd | None = None, key: IdemKey = None
) -> JSONResponse:
    """Watch the incident yourself (no body), or (staff) add someone else by UUID or email."""
    data = data or WatcherAdd()
    return idempotent.run(
        db,
        actor,
        key=key,
        scope=f"POST /incidents/{ref}/watchers",
        payload=data,
        status_code=201,
        work=lambda s: related.watch(session=s, actor=actor, ref=ref, user=data.user),
        location=lambda body: f"/api/v1/incidents/{ref}/watchers/{body['user_id']}",
    )


@router.delete("/{ref}/watchers/{user}", status_code=204)
def remove_watcher(ref: str, user: str, db: Db, actor: ApiActor) -> Response:
    """Stop watching (`me`, your UUID or email), or (staff) remove someone else."""
    with db.unit_of_work() as session:
        related.unwatch(session=session, actor=actor, ref=ref, user=None if user == "me" else user)
    return Response(status_code=204)


@router.get("/{ref}/links", response_model=LinkPage)
def list_links(ref: str, db: Db, actor: ApiActor) -> LinkPage:
    """Links to other records, read from this side (a `caused_by` shows as `causes` on the cause)."""
    with db.unit_of_work() as session:
        found = [LinkRead.model_validate(x) for x in related.link_list(session=session, actor=actor, ref=ref)]
    return LinkPage(items=found, count=len(found), count_exact=True)


@router.get("/{ref}/links/{link_id}", response_model=LinkRead)
def get_link(ref: str, link_id: uuid.UUID, db: Db, actor: ApiActor) -> LinkRead:
    with db.unit_of_work() as session:
        found = [x for x in related.link_list(session=session, actor=actor, ref=ref) if x.id == link_id]
        if not found:
            raise NotFound(f"link {link_id} not found on incident {ref}")
        return LinkRead.model_validate(found[0])


@router.post("/{ref}/links", response_model=LinkRead, status_code=201, responses=CREATED)
def add_link(ref: str, data: LinkCreate, db: Db, actor: ApiActor, key: IdemKey = None) -> JSONResponse:
    """Link the incident to another record you may see (staff)."""
    return idempotent.run(
        db,
        actor,
        key=key,
        scope=f"POST /incidents/{ref}/links",
        payload=data,
        status_code=201,
        work=lambda s: LinkRead.model_validate(related.link(session=s, actor=actor, ref=ref, data=data)),
        location=lambda body: f"/api/v1/incidents/{ref}/links/{body['id']}",
    )


@router.delete("/{ref}/links/{link_id}", status_code=204)
def remove_link(ref: str, link_id: uuid.UUID, db: Db, actor: ApiActor) -> Response:
    with db.unit_of_work() as session:
        related.unlink(session=session, actor=actor, ref=ref, link_id=link_id)
    return Response(status_code=204)


@router.get("/{ref}/attachments", response_model=AttachmentPage)
def list_attachments(ref: str, db: Db, actor: ApiActor) -> AttachmentPage:
    """Files on the incident and its comments (those on work notes only for staff), oldest first."""
    with db.unit_of_work() as session:
        found = [
            AttachmentRead.model_validate(a)
            for a in related.attachment_list(session=session, actor=actor, ref=ref)
        ]
    return AttachmentPage(items=found, count=len(found), count_exact=True)


@router.post(
    "/{ref}/attachments",
    response_model=AttachmentRead,
    status_code=201,
    responses={**CREATED, **problems.responses(413)},
)
def add_attachment(
    ref: str,
    db: Db,
    actor: ApiActor,
    file: Annotated[UploadFile, File(description="The file (multipart/form-data).")],
    comment_id: Annotated[
        uuid.UUID | None, Form(description="Attach to this comment of the incident.")
    ] = None,
    key: IdemKey = None,
) -> JSONResponse:
    """Upload a file (25 MB by default; 413 beyond). Stored once per content, SHA-256 recorded."""
    with db.unit_of_work() as session:  # refused before anything is stored
        related.check_attach(session=session, actor=actor, ref=ref, comment_id=comment_id)
    stored = files.store(file.file, file.content_type)
    with files.discarded_unless_kept(db, stored):
        return idempotent.run(
            db,
            actor,
            key=key,
            scope=f"POST /incidents/{ref}/attachments",
            payload={"filename": file.filename, "sha256": stored.sha256, "comment_id": comment_id},
            status_code=201,
            work=lambda s: AttachmentRead.model_validate(
                related.attach(
                    session=s,
                    actor=actor,
                    ref=ref,
                    filename=file.filename or "",
                    stored=stored,
                    comment_id=comment_id,
                )
            ),
            location=lambda body: f"/api/v1/incidents/{ref}/attachments/{body['id']}",
        )


@router.get("/{ref}/attachments/{attachment_id}", response_model=AttachmentRead)
def get_attachment(ref: str, attachment_id: uuid.UUID, db: Db, actor: ApiActor) -> AttachmentRead:
    with db.unit_of_work() as session:
        return AttachmentRead.model_validate(
            related.attachment(session=session, actor=actor, ref=ref, attachment_id=attachment_id)
        )


@router.get(
    "/{ref}/attachments/{attachment_id}/content",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The file, as a download."}},
)
def download_attachment(ref: str, attachment_id: uuid.UUID, db: Db, actor: ApiActor) -> FileResponse:
    """The file itself, always as a download (`Content-Disposition: attachment`, `nosniff`)."""
    with db.unit_of_work() as session:
        found = related.attachment(session=session, actor=actor, ref=ref, attachment_id=attachment_id)
    return downloads.download(found)


@router.get(
    "/{ref}/attachments/{attachment_id}/thumbnail",
    response_class=FileResponse,
    responses={200: {"content": {"image/png": {}}, "description": "A PNG of at most 320x320 pixels."}},
)
def attachment_thumbnail(ref: str, attachment_id: uuid.UUID, db: Db, actor: ApiActor) -> FileResponse:
    """A small PNG of an image attachment (a 404 for files that are not raster images)."""
    with db.unit_of_work() as session:
        found = related.attachment(session=session, actor=actor, ref=ref, attachment_id=attachment_id)
    return downloads.thumbnail(found)


@router.delete("/{ref}/attachments/{attachment_id}", status_code=204)
def delete_attachment(ref: str, attachment_id: uuid.UUID, db: Db, actor: ApiActor) -> Response:
    """Delete a file (its uploader or staff); audited, and the content leaves the store when unused."""
    with db.unit_of_work() as session:
        related.delete_attachment(session=session, actor=actor, ref=ref, attachment_id=attachment_id)
    return Response(status_code=204)
