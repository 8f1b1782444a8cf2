"""Lifecycle actions, comments and work notes, and the merged timeline of an incident."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from vigil.core import audit, clock, events, links, pagination
from vigil.core.actor import Actor
from vigil.core.errors import IllegalTransition, Invalid, NotFound, check_version
from vigil.core.pagination import Page
from vigil.core.schemas import ListQuery
from vigil.incidents import lifecycle, policy
from vigil.incidents.events import IncidentCommented
from vigil.incidents.lifecycle import Action
from vigil.incidents.models import Incident, IncidentComment
from vigil.incidents.schemas import (
    CommentCreate,
    IncidentNote,
    IncidentReopen,
    IncidentResolve,
    TimelineEntry,
    TimelineKind,
)
from vigil.incidents.service import history, transitions
from vigil.incidents.service.records import load, visible_id
from vigil.incidents.settings import IncidentSettings, get_incident_settings


def _act(
    session: Session,
    actor: Actor,
    ref: str | uuid.UUID,
    action: Action,
    step: transitions.Step,
    settings: IncidentSettings | None,
    expected_version: int | frozenset[int] | None,
) -> Incident:
    incident = load(session, actor, ref, for_update=True)
    check_version(incident.number, incident.version, expected_version)
    return transitions.apply(
        session, actor, incident, action, step, settings=settings or get_incident_settings()
    )


def _note(data: IncidentNote | None) -> transitions.Step:
    return transitions.Step(note=data.note if data else None)


def acknowledge(
    *,
    session: Session,
    actor: Actor,
    ref: str | uuid.UUID,
    data: IncidentNote | None = None,
    settings: IncidentSettings | None = None,
    expected_version: int | frozenset[int] | None = None,
) -> Incident:
    """An agent takes the incident on: open → in progress (the response time stops here)."""
    return _act(session, actor, ref, Action.ACKNOWLEDGE, _note(data), settings, expected_version)


def hold(
    *,
    session: Session,
    actor: Actor,
    ref: str | uuid.UUID,
    data: IncidentNote | None = None,
    settings: IncidentSettings | None = None,
    expected_version: int | frozenset[int] | None = None,
) -> Incident:
    """Waiting on someone else (the requester, a vendor): in progress → on hold."""
    return _act(session, actor, ref, Action.HOLD, _note(data), settings, expected_version)


def resume(
    *,
    session: Session,
    actor: Actor,
    ref: str | uuid.UUID,
    data: IncidentNote | None = None,
    settings: IncidentSettings | None = None,
    expected_version: int | frozenset[int] | None = None,
) -> Incident:
    """Work goes on: on hold → in progress."""
    return _act(session, actor, ref, Action.RESUME, _note(data), settings, expected_version)


def close(
    *,
    session: Session,
    actor: Actor,
    ref: str | uuid.UUID,
    data: IncidentNote | None = None,
    settings: IncidentSettings | None = None,
    expected_version: int | frozenset[int] | None = None,
) -> Incident:
    """The requester confirms the fix (or the confirmation period ran out): resolved → closed, final."""
    return _act(session, actor, ref, Action.CLOSE, _note(data), settings, expected_version)


def cancel(
    *,
    session: Session,
    actor: Actor,
    ref: str | uuid.UUID,
    data: IncidentNote | None = None,
    settings: IncidentSettings | None = None,
    expected_version: int | frozenset[int] | None = None,
) -> Incident:
    """Withdrawn or raised in error: any open state → cancelled, final."""
    return _act(session, actor, ref, Action.CANCEL, _note(data), settings, expected_version)


#: The lifecycle actions that carry at most a note, by name (what the API, pages and CLI dispatch on).
NOTE_ACTIONS: dict[str, Callable[..., Incident]] = {
    "acknowledge": acknowledge,
    "hold": hold,
    "resume": resume,
    "close": close,
    "cancel": cancel,
}


def resolve(
    *,
    session: Session,
    actor: Actor,
    ref: str | uuid.UUID,
    data: IncidentResolve,
    settings: IncidentSettings | None = None,
    expected_version: int | frozenset[int] | None = None,
) -> Incident:
    step = transitions.Step(
        resolution_notes=data.resolution_notes,
        resolution_code=data.resolution_code,
        root_cause=data.root_cause,
    )
    return _act(session, actor, ref, Action.RESOLVE, step, settings, expected_version)


def reopen(
    *,
    session: Session,
    actor: Actor,
    ref: str | uuid.UUID,
    data: IncidentReopen,
    settings: IncidentSettings | None = None,
    expected_version: int | frozenset[int] | None = None,
) -> Incident:
    return _act(
        session, actor, ref, Action.REOPEN, transitions.Step(reason=data.reason), settings, expected_version
    )


def add_comment(
    *, session: Session, actor: Actor, ref: str | uuid.UUID, data: CommentCreate
) -> IncidentComment:
    """A comment the requester sees, or (internal) a work note only staff see."""
    incident = load(session, actor, ref, for_update=True)
    policy.require(actor, "incident.work_note" if data.internal else "incident.comment")
    if incident.status in lifecycle.FINAL:
        raise IllegalTransition(
            f"{incident.number} is {incident.status}, which is final; it takes no more comments"
        )
    now = clock.now()
    comment = IncidentComment(
        id=uuid.uuid4(),  # known now: the audit record names it without a flush first
        incident_id=incident.id,
        author_id=actor.user_id,
        author_name=actor.display_name,
        body=data.body,
        internal=data.internal,
        created_at=now,
    )
    session.add(comment)
    incident.updated_at = now
    audit.record(
        session,
        actor,
        action="incident.work_note" if data.internal else "incident.comment",
        object_type="incident",
        object_id=incident.id,
        changes={"comment_id": [None, str(comment.id)]},
    )
    events.emit(
        session,
        IncidentCommented(
            incident_id=incident.id,
            number=incident.number,
            comment_id=comment.id,
            author_id=actor.user_id,
            internal=data.internal,
        ),
    )
    session.flush()  # one flush for the comment, the incident's new version, the audit record and event
    return comment


def _comments(session: Session, actor: Actor, incident_id: uuid.UUID) -> Select[Any]:
    """An incident's comments `actor` may read: work notes only for those allowed to read them."""
    stmt = select(IncidentComment).where(IncidentComment.incident_id == incident_id)
    if not policy.can(actor, "incident.read_work_notes"):
        stmt = stmt.where(IncidentComment.internal.is_(False))
    return stmt


def comments(
    *, session: Session, actor: Actor, ref: str | uuid.UUID, query: ListQuery
) -> Page[IncidentComment]:
    """A page of the incident's comments (and, for staff, work notes), oldest first."""
    stmt = _comments(session, actor, visible_id(session, actor, ref))
    return pagination.page(
        session, stmt, column=IncidentComment.created_at, id_column=IncidentComment.id,
        sort="comments:created_at", cursor=query.cursor, limit=query.limit, with_count=query.count,
    )  # fmt: skip


def comment(
    *, session: Session, actor: Actor, ref: str | uuid.UUID, comment_id: uuid.UUID
) -> IncidentComment:
    """One comment of the incident; a work note is not found for those who may not read work notes."""
    stmt = _comments(session, actor, visible_id(session, actor, ref)).where(IncidentComment.id == comment_id)
    found: IncidentComment | None = session.scalars(stmt).one_or_none()
    if found is None:
        raise NotFound(f"comment {comment_id} not found on incident {ref}")
    return found


_COMMENT_ACTIONS = frozenset({"incident.comment", "incident.work_note"})


def _invisible_parents(session: Session, actor: Actor, records: list[audit.AuditRecord]) -> set[str]:
    """Numbers of former or current parents named in the history that `actor` may not see."""
    numbers = {v for r in records for v in r.changes.get("parent", []) if isinstance(v, str)}
    if not numbers:
        return set()
    seen = session.scalars(select(Incident.number).where(Incident.number.in_(numbers), policy.visible(actor)))
    return numbers - set(seen)


def timeline(
    *, session: Session, actor: Actor, ref: str | uuid.UUID, incident: Incident | None = None
) -> list[TimelineEntry]:
    """Comments, work notes (staff only) and every recorded change, oldest first. Pass `incident` when
    the caller already loaded it for `actor` (the incident page), so it is not looked up twice."""
    incident_id = incident.id if incident is not None else visible_id(session, actor, ref)
    entries: list[TimelineEntry] = []
    records = audit.for_object(session, "incident", incident_id)
    hide = _invisible_parents(session, actor, records)
    names, actor_emails = history.people_names(
        session, (r.changes for r in records), (r.actor_id for r in records)
    )
    link_kinds = frozenset(links.kind_names("incident"))
    for rec in records:
        if rec.action in _COMMENT_ACTIONS:
            continue  # the comment itself is shown below
        kind = (
            TimelineKind.CREATED
            if rec.action == "incident.create"
            else (TimelineKind.CHANGE if rec.action == "incident.update" else TimelineKind.TRANSITION)
        )
        changes = rec.changes
        if "parent" in changes and hide:
            changes = {**changes, "parent": [None if v in hide else v for v in changes["parent"]]}
        entries.append(
            TimelineEntry(
                id=f"audit-{rec.id}",
                at=rec.occurred_at,
                kind=kind,
                actor=rec.actor_name,
                actor_id=rec.actor_id,
                action=rec.action,
                changes=changes,
                summary=history.describe(
                    rec.action,
                    changes,
                    names,
                    actor_email=actor_emails.get(rec.actor_id),
                    link_kinds=link_kinds,
                ),
            )
        )
    for c in session.scalars(_comments(session, actor, incident_id)):
        entries.append(
            TimelineEntry(
                id=f"comment-{c.id}",
                at=c.created_at,
                kind=TimelineKind.WORK_NOTE if c.internal else TimelineKind.COMMENT,
                actor=c.author_name,
                actor_id=c.author_id,
                action="incident.work_note" if c.internal else "incident.comment",
                body=c.body,
            )
        )
    entries.sort(key=lambda e: (e.at, e.kind != TimelineKind.CREATED))
    return entries


def timeline_page(
    *, session: Session, actor: Actor, ref: str | uuid.UUID, query: ListQuery
) -> Page[TimelineEntry]:
    """A page of `timeline`: the cursor names the last entry seen (entries have stable ids). The merged
    history of one incident is built whole, then cut: it is bounded by that incident's own activity."""
    entries = timeline(session=session, actor=actor, ref=ref)
    start = 0
    if query.cursor:
        last = pagination.unpack(query.cursor, "timeline").get("id")
        ids = [e.id for e in entries]
        if last not in ids:
            raise Invalid(
                "the cursor's entry is not in this timeline; restart from the first page", field="cursor"
            )
        start = ids.index(last) + 1
    items = entries[start : start + query.limit]
    more = start + query.limit < len(entries)
    next_cursor = pagination.pack("timeline", id=items[-1].id) if more and items else None
    found: Page[TimelineEntry] = Page(items=items, next_cursor=next_cursor)
    if query.count:
        found.count, found.count_exact = len(entries), True
    return found
