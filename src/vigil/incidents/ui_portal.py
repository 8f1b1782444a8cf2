"""The requesters' self-service portal: my requests, report a problem, a request's page with the public
conversation, a reply box and the few actions the service gives a requester (docs/portal.md)."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from vigil.auth import policy as auth_policy
from vigil.auth.deps import WebActor
from vigil.core import attachments as files
from vigil.core import validation
from vigil.core.actor import Actor
from vigil.core.errors import Invalid, NotFound, VigilError
from vigil.core.schemas import ListQuery
from vigil.incidents import lifecycle, service
from vigil.incidents.lifecycle import Status
from vigil.incidents.schemas import (
    CommentCreate,
    IncidentCreate,
    IncidentFilter,
    IncidentNote,
    IncidentReopen,
)
from vigil.incidents.service import related
from vigil.web import downloads
from vigil.web.deps import Db, FormBody
from vigil.web.templating import render

router = APIRouter(prefix="/portal", include_in_schema=False)

#: Requests per section of "My requests"; each section pages on with its own cursor.
PAGE = 20
#: The most replies a request's page shows (a requester's conversation rarely comes near it).
REPLIES = 200
STILL_OPEN = [str(s) for s in (Status.OPEN, Status.IN_PROGRESS, Status.ON_HOLD)]
DONE = [str(s) for s in (Status.RESOLVED, Status.CLOSED, Status.CANCELLED)]


@dataclass(frozen=True)
class Plain:
    """A status as a requester reads it: a word or two, and one line saying what it means for them."""

    words: str
    meaning: str
    #: Its colour on the page (a CSS class), by what it asks of the requester.
    tone: str


STATUS = {
    Status.OPEN: Plain("Received", "We have your request and will pick it up soon.", "new"),
    Status.IN_PROGRESS: Plain("Being worked on", "Someone is working on it.", "working"),
    Status.ON_HOLD: Plain(
        "Waiting", "We are waiting for something (perhaps an answer from you) to go on.", "waiting"
    ),
    Status.RESOLVED: Plain("Solved", "Solved — if it is not, tell us below.", "solved"),
    Status.CLOSED: Plain(
        "Closed", "This request is finished. If the problem is back, report it again.", "done"
    ),
    Status.CANCELLED: Plain("Withdrawn", "This request was withdrawn; nobody works on it any more.", "done"),
}
#: "How urgent is it for you?": the three answers, as the urgency they stand for.
URGENCY = (
    ("high", "It stops me working"),
    ("medium", "It slows me down"),
    ("low", "It can wait"),
)
NOTICES = {
    "created": "Thank you — we have your request.",
    "reply": "Your reply was sent.",
    "comment": "Your reply was sent.",
    "reopen": "We are on it again.",
    "close": "Thank you for confirming. The request is closed.",
    "cancel": "The request was withdrawn.",
    "attached": "File attached.",
}
#: What a refused portal form calls its fields (the services' names are never shown).
LABELS = {"title": "Title", "description": "What happened", "how_urgent": "How urgent it is for you",
          "files": "Files", "body": "Reply", "reason": "Reason it is not fixed", "note": "Reason"}  # fmt: skip
FIELDS = {"urgency": "how_urgent", "file": "files"}


def _staff_elsewhere(actor: Actor, path: str) -> Response | None:
    """Staff work in the agent pages: the portal's addresses take them to the same thing there."""
    return RedirectResponse(path, status_code=303) if auth_policy.is_staff(actor) else None


def _section(session: Session, actor: Actor, statuses: list[str], cursor: str | None) -> dict[str, Any]:
    filters = IncidentFilter.model_validate(
        {"status": statuses, "sort": "-updated_at", "limit": PAGE, "cursor": cursor}
    )
    page = service.list_incidents(session=session, actor=actor, filters=filters)
    return {"items": [service.to_read(i, actor) for i in page.items], "next": page.next_cursor}


@router.get("", response_class=HTMLResponse)
def my_requests(request: Request, db: Db, actor: WebActor) -> Response:
    if (elsewhere := _staff_elsewhere(actor, "/incidents")) is not None:
        return elsewhere
    params = request.query_params
    try:
        with db.unit_of_work() as session:
            ctx = {
                "open": _section(session, actor, STILL_OPEN, params.get("open")),
                "done": _section(session, actor, DONE, params.get("done")),
                "paged": bool(params.get("open") or params.get("done")),
                "status": STATUS,
            }
            return render(request, "portal/list.html", ctx)
    except Invalid:  # a cursor that was not ours: start again from the top
        return RedirectResponse("/portal", status_code=303)


def _new_page(request: Request, form: dict[str, Any], errors: dict[str, str], status: int) -> Response:
    ctx = {"form": form, "errors": errors, "urgency": URGENCY}
    return render(request, "portal/new.html", ctx, status_code=status)


@router.get("/new", response_class=HTMLResponse)
def new_form(request: Request, actor: WebActor) -> Response:
    if (elsewhere := _staff_elsewhere(actor, "/incidents/new")) is not None:
        return elsewhere
    return _new_page(request, {}, {}, 200)


def _uploads(posted: FormData, name: str) -> list[UploadFile]:
    return [f for f in posted.getlist(name) if isinstance(f, UploadFile) and f.filename]


def _text(posted: FormData, name: str) -> str:
    value = posted.get(name)
    return value.strip() if isinstance(value, str) else ""


Stored = list[tuple[str, files.Stored]]


def _store(kept: ExitStack, db: Db, posted: FormData) -> Stored:
    """Put the posted files in the store, each taken out again if the transaction recording it fails."""
    stored: Stored = []
    for upload in _uploads(posted, "files"):
        stored.append((upload.filename or "", files.store(upload.file, upload.content_type)))
        kept.enter_context(files.discarded_unless_kept(db, stored[-1][1]))
    return stored


@router.post("/new", response_class=HTMLResponse)
def report(request: Request, db: Db, actor: WebActor, posted: FormBody) -> Response:
    """Report a problem: the incident and its files in one transaction (a refused one keeps no file)."""
    form = {k: _text(posted, k) for k in ("title", "description", "how_urgent")}
    try:
        data = IncidentCreate.model_validate(
            {
                "title": form["title"],
                "description": form["description"],
                "urgency": form["how_urgent"] or "medium",
            }
        )
        with ExitStack() as kept:
            stored = _store(kept, db, posted)
            with db.unit_of_work() as session:
                incident = service.create(session=session, actor=actor, data=data)
                for filename, one in stored:
                    related.attach(
                        session=session, actor=actor, ref=incident.id, filename=filename, stored=one
                    )
                number = incident.number
    except (ValidationError, VigilError) as exc:
        status = 422 if isinstance(exc, ValidationError) else exc.status
        return _new_page(request, form, validation.form_errors(exc, fields=FIELDS, labels=LABELS), status)
    return RedirectResponse(f"/portal/{number}?notice=created", status_code=303)


@router.get("/{ref}", response_class=HTMLResponse)
def request_page(request: Request, ref: str, db: Db, actor: WebActor) -> Response:
    if (elsewhere := _staff_elsewhere(actor, f"/incidents/{quote(ref)}")) is not None:
        return elsewhere
    return _page(request, db, actor, ref, status_code=200)


def _page(
    request: Request,
    db: Db,
    actor: Actor,
    ref: str,
    *,
    status_code: int,
    failed: str | None = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    """A request's page; after a refused form, `failed` names it, `form` is what was sent, `errors` why."""
    with db.unit_of_work() as session:
        incident = service.get(session=session, actor=actor, ref=ref)
        read = service.to_read(incident, actor)
        replies = service.comments(
            session=session, actor=actor, ref=incident.id, query=ListQuery(limit=REPLIES)
        )
        ctx: dict[str, Any] = {
            "i": read,
            "plain": STATUS[Status(read.status)],
            "final": read.status in lifecycle.FINAL,
            "replies": replies.items,
            "more_replies": replies.next_cursor is not None,
            "files": related.attachment_list(
                session=session, actor=actor, ref=incident.id, incident=incident
            ),
            "allowed": {str(a) for a in read.allowed_actions},
            "notice": NOTICES.get(request.query_params.get("notice") or ""),
            "failed": failed,
            "form": form or {},
            "errors": errors or {},
        }
        return render(request, "portal/detail.html", ctx, status_code=status_code)


def _version(posted: FormData) -> int | None:
    seen = _text(posted, "version")
    return int(seen) if seen.isdigit() else None


def _reply(session: Session, actor: Actor, ref: str, posted: FormData, stored: Stored) -> None:
    """A public comment, with the files sent beside it attached to it (already in the store)."""
    data = CommentCreate(body=_text(posted, "body"))
    comment = service.add_comment(session=session, actor=actor, ref=ref, data=data)
    for filename, one in stored:
        related.attach(
            session=session, actor=actor, ref=ref, filename=filename, stored=one, comment_id=comment.id
        )


def _act(session: Session, actor: Actor, ref: str, action: str, posted: FormData) -> None:
    at: dict[str, Any] = {
        "session": session,
        "actor": actor,
        "ref": ref,
        "expected_version": _version(posted),
    }
    if action == "reopen":
        service.reopen(**at, data=IncidentReopen(reason=_text(posted, "reason")))
    else:  # close or cancel, each with an optional note for the people working on it
        service.NOTE_ACTIONS[action](**at, data=IncidentNote(note=_text(posted, "note") or None))


#: The portal's forms: what each posts to, and the service action behind it.
ACTIONS = {"reply": "comment", "reopen": "reopen", "confirm": "close", "withdraw": "cancel"}


@router.post("/{ref}/{form_name}", response_class=HTMLResponse)
def act(request: Request, ref: str, form_name: str, db: Db, actor: WebActor, posted: FormBody) -> Response:
    """One of the request page's forms, through the same service functions the agent pages call."""
    action = ACTIONS.get(form_name)
    if action is None:
        raise NotFound(f"no such form {form_name!r}")
    sent = {k: _text(posted, k) for k in ("body", "reason", "note")}
    try:
        with ExitStack() as kept:
            stored = _store(kept, db, posted) if action == "comment" else []
            with db.unit_of_work() as session:
                if action == "comment":
                    _reply(session, actor, ref, posted, stored)
                else:
                    _act(session, actor, ref, action, posted)
                number = service.get(session=session, actor=actor, ref=ref).number
    except (ValidationError, VigilError) as exc:
        status = 422 if isinstance(exc, ValidationError) else exc.status
        if status == 404:
            raise
        errors = validation.form_errors(exc, fields=FIELDS, labels=LABELS)
        return _page(request, db, actor, ref, status_code=status, failed=form_name, form=sent, errors=errors)
    return RedirectResponse(f"/portal/{number}?notice={action}", status_code=303)


def _file(session: Session, actor: Actor, ref: str, position: int, filename: str) -> files.Attachment:
    """A file of the request by its place in the page's list, checked against its name: the portal's
    addresses carry no record ids, and a list changed meanwhile answers 404, never another file."""
    shown = related.attachment_list(session=session, actor=actor, ref=ref)
    if not 1 <= position <= len(shown) or shown[position - 1].filename != filename:
        raise NotFound("that file is not on this request")
    return shown[position - 1]


@router.get("/{ref}/files/{position}/{filename}")
def download(ref: str, position: int, filename: str, db: Db, actor: WebActor) -> FileResponse:
    with db.unit_of_work() as session:
        found = _file(session, actor, ref, position, filename)
    return downloads.download(found)


@router.get("/{ref}/files/{position}/{filename}/preview")
def preview(ref: str, position: int, filename: str, db: Db, actor: WebActor) -> FileResponse:
    with db.unit_of_work() as session:
        found = _file(session, actor, ref, position, filename)
    return downloads.thumbnail(found)
