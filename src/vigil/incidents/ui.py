"""Web pages for incidents: the queue, the create form, and the incident page with its actions."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from vigil.auth import policy as auth_policy
from vigil.auth import service as auth_service
from vigil.auth.deps import WebActor
from vigil.core import links, validation
from vigil.core.actor import Actor
from vigil.core.errors import VigilError
from vigil.incidents import policy, service
from vigil.incidents.lifecycle import Action, Status
from vigil.incidents.priority import Level, Priority
from vigil.incidents.schemas import (
    CommentCreate,
    IncidentCreate,
    IncidentEscalate,
    IncidentNote,
    IncidentReopen,
    IncidentResolve,
    IncidentUpdate,
    ResolutionCode,
    SortKey,
)
from vigil.incidents.service import categories, clocks, history, related
from vigil.web import forms
from vigil.web.deps import Db, FormBody
from vigil.web.templating import render

router = APIRouter(prefix="/incidents", include_in_schema=False)
POST_ACTIONS = {a.value for a in Action} | {"assign", "assign_me", "comment", "edit", "escalate"}
NOTICES = {
    "created": "Incident created.",
    "acknowledge": "Acknowledged.",
    "hold": "Put on hold.",
    "resume": "Work resumed.",
    "resolve": "Resolved.",
    "close": "Closed.",
    "reopen": "Reopened.",
    "cancel": "Cancelled.",
    "assign": "Assignment saved.",
    "assign_me": "Assigned to you.",
    "escalate": "Escalated.",
    "edit": "Changes saved.",
    "comment": "Comment added.",
    "watch": "You are watching this incident.",
    "unwatch": "You no longer watch this incident.",
    "watcher_added": "Watcher added.",
    "watcher_removed": "Watcher removed.",
    "linked": "Link added.",
    "unlinked": "Link removed.",
    "attached": "File attached.",
    "attachment_deleted": "Attachment deleted.",
}


def choices(session: Any, actor: Actor, *, with_teams: bool = False) -> dict[str, Any]:
    """Choices for the forms, and which staff-only controls this actor gets at all; `with_teams` loads
    the staff's teams too (the incident page offers the agents of the incident's group)."""
    staff = policy.can(actor, "incident.assign")
    return {
        "can": {
            name: policy.can(actor, f"incident.{name}")
            for name in (
                "assign",
                "create_for_other",
                "update",
                "set_priority",
                "work_note",
                "manage_watchers",
                "link",
                "attach",
                "delete_attachment",
                "escalate",
            )
        },
        "categories": categories.names(session),
        # Only what the staff-only controls offer: assignable people (staff) and team names.
        "users": (
            auth_service.list_users(session=session, actor=actor, staff_only=True, with_teams=with_teams)
            if staff
            else []
        ),
        "teams": auth_service.team_names(session=session, actor=actor) if staff else [],
        "statuses": list(Status),
        "priorities": list(Priority),
        "levels": list(Level),
        "sorts": list(SortKey),
        "resolution_codes": list(ResolutionCode),
    }


#: The create form's own labels, where they differ from the shared ones (core.validation.LABELS).
CREATE_LABELS = {"priority": "Priority override"}


def _new_page(
    request: Request, db: Db, actor: WebActor, form: dict[str, Any], errors: dict[str, str], status: int
) -> Response:
    with db.unit_of_work() as session:
        ctx: dict[str, Any] = {"form": form, "errors": errors, **choices(session, actor)}
        if ctx["can"]["create_for_other"]:
            # Agents taking a call log it for the caller: anyone in the directory, themselves by default.
            me = auth_service.load_user(session, actor.user_id) if actor.user_id else None
            ctx["me_email"] = me.email if me else ""
            ctx["people"] = auth_service.list_users(session=session, actor=actor)
        return render(request, "incidents/new.html", ctx, status)


def to_portal(request: Request, actor: Actor, path: str) -> Response | None:
    """Requesters use the self-service portal (docs/portal.md): an agent page's address takes them to
    its portal equivalent (a notice carried along); staff get None and stay."""
    if auth_policy.is_staff(actor):
        return None
    notice = request.query_params.get("notice")
    return RedirectResponse(path + (f"?notice={notice}" if notice in NOTICES else ""), status_code=303)


@router.get("/new", response_class=HTMLResponse)
def new_form(request: Request, db: Db, actor: WebActor) -> Response:
    if (elsewhere := to_portal(request, actor, "/portal/new")) is not None:
        return elsewhere
    return _new_page(request, db, actor, {}, {}, 200)


@router.post("/new", response_class=HTMLResponse)
def create(request: Request, db: Db, actor: WebActor, posted: FormBody) -> Response:
    form = forms.values(posted, multi=("affected_cis", "tags"))
    try:
        data = IncidentCreate.model_validate(form)
        with db.unit_of_work() as session:
            number = service.create(session=session, actor=actor, data=data).number
        return RedirectResponse(f"/incidents/{number}?notice=created", status_code=303)
    except ValidationError as exc:
        return _new_page(request, db, actor, form, validation.form_errors(exc, labels=CREATE_LABELS), 422)
    except VigilError as exc:  # a refused reference or right, shown on the form it came from
        return _new_page(
            request, db, actor, form, validation.form_errors(exc, labels=CREATE_LABELS), exc.status
        )


@router.get("/{ref}", response_class=HTMLResponse)
def detail(request: Request, ref: str, db: Db, actor: WebActor) -> Response:
    if (elsewhere := to_portal(request, actor, f"/portal/{quote(ref)}")) is not None:
        return elsewhere
    return detail_page(request, db, actor, ref, error=None, status_code=200)


def detail_page(
    request: Request,
    db: Db,
    actor: WebActor,
    ref: str,
    *,
    error: str | None,
    status_code: int,
    retry: dict[str, dict[str, Any]] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    """The incident page; after a refused action `retry` maps that action to the form it was sent with,
    and `errors` holds that form's errors by field (core.validation.form_errors)."""
    notice = request.query_params.get("notice")
    with db.unit_of_work() as session:
        incident = service.get(session=session, actor=actor, ref=ref)
        ctx: dict[str, Any] = {
            "incident": service.to_read(incident, actor),
            "timeline": service.timeline(session=session, actor=actor, ref=ref, incident=incident),
            "watchers": related.watcher_list(session=session, actor=actor, ref=ref, incident=incident),
            "links": related.link_list(session=session, actor=actor, ref=ref, incident=incident),
            "attachments": related.attachment_list(session=session, actor=actor, ref=ref, incident=incident),
            "link_kinds": links.kind_names("incident"),
            "sla_events": clocks.history(session, incident),
            "sla_event_words": clocks.event_words,
            "notice": NOTICES.get(notice or ""),
            "error": error,
            "retry": retry or {},
            "failed": next(iter(retry or {}), None),
            "errors": errors or {},
            **choices(session, actor, with_teams=True),
        }
        names, _ = history.people_names(session, (e.changes for e in ctx["timeline"]))
        ctx["history"] = {
            "label": history.field_label,
            "shown": lambda field, value: history.shown(field, value, names),
        }
        if ctx["can"]["assign"]:
            # Offered as assignees: the agents of the incident's group (any agent while it has none).
            group = incident.assignment_group_id
            ctx["assignees"] = [
                u
                for u in ctx["users"]
                if group is None or u.id == incident.assigned_to_id or any(t.id == group for t in u.teams)
            ]
        return render(request, "incidents/detail.html", ctx, status_code=status_code)


#: The incident page's labels where they differ from the shared ones (core.validation.LABELS).
DETAIL_LABELS = {"note": "Note", "body": "Comment", "kind": "How", "to_level": "Level"}


@router.post("/{ref}/{action}", response_class=HTMLResponse)
def act(request: Request, ref: str, action: str, db: Db, actor: WebActor, posted: FormBody) -> Response:
    if action not in POST_ACTIONS:
        return detail_page(request, db, actor, ref, error=f"unknown action {action!r}", status_code=404)
    form = forms.values(posted)
    # The version the page showed: a change made meanwhile (another tab, another agent) is a 412.
    seen = form.pop("version", None)
    expected = int(seen) if isinstance(seen, str) and seen.isdigit() else None
    try:
        with db.unit_of_work() as session:
            incident = _perform(session, actor, ref, action, form, expected)
            number = incident.number if incident is not None else ref
        return RedirectResponse(f"/incidents/{number}?notice={action}", status_code=303)
    except (ValidationError, VigilError) as exc:
        status = 422 if isinstance(exc, ValidationError) else exc.status
        if status == 404:
            raise
        errors = validation.form_errors(exc, labels=DETAIL_LABELS)
        return detail_page(
            request, db, actor, ref, error=None, status_code=status, retry={action: form}, errors=errors
        )


def _edited(form: dict[str, Any]) -> IncidentUpdate:
    """The in-place edit form as a PATCH: every field it shows is sent; an emptied one is cleared."""

    def listed(name: str) -> list[str]:
        return [v.strip() for v in str(form.get(name, "")).split(",") if v.strip()]

    return IncidentUpdate.model_validate(
        {
            "title": form.get("title", ""),
            "description": form.get("description") or None,
            "impact": form.get("impact"),
            "urgency": form.get("urgency"),
            "category": form.get("category"),
            "tags": listed("tags"),
            "affected_cis": listed("affected_cis"),
        }
    )


def _perform(
    session: Any, actor: WebActor, ref: str, action: str, form: dict[str, Any], expected: int | None
) -> Any:
    if action == "comment":
        data = CommentCreate.model_validate(
            {"body": form.get("body", ""), "internal": forms.yes_no(form.get("internal"))}
        )
        service.add_comment(session=session, actor=actor, ref=ref, data=data)
        return None
    if action == "assign":
        update = IncidentUpdate.model_validate(
            {"assigned_to": form.get("assigned_to"), "assignment_group": form.get("assignment_group")}
        )
        return service.update(session=session, actor=actor, ref=ref, data=update, expected_version=expected)
    if action == "assign_me":
        update = IncidentUpdate.model_validate({"assigned_to": str(actor.user_id)})
        return service.update(session=session, actor=actor, ref=ref, data=update, expected_version=expected)
    if action == "edit":
        return service.update(
            session=session, actor=actor, ref=ref, data=_edited(form), expected_version=expected
        )
    at = {"session": session, "actor": actor, "ref": ref, "expected_version": expected}
    if action == "escalate":
        wanted = IncidentEscalate.model_validate(
            {"kind": form.get("kind") or "functional", "reason": form.get("reason", "")}
        )
        return service.escalation.escalate(**at, data=wanted)
    if action == Action.RESOLVE:
        return service.resolve(**at, data=IncidentResolve.model_validate(form))
    if action == Action.REOPEN:
        return service.reopen(**at, data=IncidentReopen.model_validate(form))
    return service.NOTE_ACTIONS[action](**at, data=IncidentNote(note=form.get("note")))
