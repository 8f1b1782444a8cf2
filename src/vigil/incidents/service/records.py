"""Create, read, list and edit incidents."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, joinedload, selectinload

from vigil.auth import service as auth_service
from vigil.auth.models import User
from vigil.auth.roles import STAFF
from vigil.cmdb import service as cmdb_service
from vigil.core import audit, clock, events, metrics, numbering, pagination, search
from vigil.core.actor import Actor
from vigil.core.errors import IllegalTransition, Invalid, NotFound, check_version
from vigil.core.pagination import Page, decode_cursor, encode_cursor, keyset
from vigil.core.refs import ref_clause
from vigil.incidents import lifecycle, policy, priority
from vigil.incidents.events import IncidentCreated, IncidentUpdated
from vigil.incidents.models import SEARCH, Incident, incident_ci
from vigil.incidents.schemas import IncidentCreate, IncidentFilter, IncidentUpdate
from vigil.incidents.service import categories, clocks, impact, transitions
from vigil.incidents.service.present import snapshot
from vigil.incidents.settings import IncidentSettings, get_incident_settings
from vigil.sla import service as sla

#: Many-to-one references join into the incident's own query; CIs and SLA clocks come in one more
#: query each per page.
LOAD_OPTIONS = (
    joinedload(Incident.requester),
    joinedload(Incident.assigned_to),
    joinedload(Incident.assignment_group),
    joinedload(Incident.parent),
    selectinload(Incident.affected_cis),
    selectinload(Incident.impacted_services),
    selectinload(Incident.sla_clocks),
)


def _ref_clause(ref: str | uuid.UUID) -> ColumnElement[bool]:
    return ref_clause(Incident.id, Incident.number, ref, key=str(ref).strip().upper())


def load(session: Session, actor: Actor, ref: str | uuid.UUID, *, for_update: bool = False) -> Incident:
    """The incident `ref` (UUID or number) if `actor` may see it; otherwise NotFound, never Forbidden."""
    stmt = select(Incident).where(_ref_clause(ref), policy.visible(actor)).options(*LOAD_OPTIONS)
    if for_update:
        stmt = stmt.with_for_update(of=Incident)
    incident = session.scalars(stmt).one_or_none()
    if incident is None:
        raise NotFound(f"incident {ref} not found")
    mark_visible_parents(session, actor, [incident])
    return incident


def visible_id(session: Session, actor: Actor, ref: str | uuid.UUID) -> uuid.UUID:
    """The id of incident `ref` if `actor` may see it (one indexed lookup, nothing else loaded)."""
    found = session.scalar(select(Incident.id).where(_ref_clause(ref), policy.visible(actor)))
    if found is None:
        raise NotFound(f"incident {ref} not found")
    return found


def mark_visible_parents(session: Session, actor: Actor, incidents: list[Incident]) -> None:
    """Set `parent_visible` on each incident: its parent (duplicate-of) is shown only when `actor` may
    see that incident too, decided by the parent's own `visible()` in one query for the whole page."""
    ids = {i.parent_id for i in incidents if i.parent_id is not None}
    shown: set[uuid.UUID] = set()
    if ids:
        shown = set(session.scalars(select(Incident.id).where(Incident.id.in_(ids), policy.visible(actor))))
    for incident in incidents:
        incident.parent_visible = incident.parent_id in shown


def get(*, session: Session, actor: Actor, ref: str | uuid.UUID) -> Incident:
    return load(session, actor, ref)


def _requester(session: Session, actor: Actor, ref: str | None) -> User:
    if ref is not None:
        if not policy.can(actor, "incident.create_for_other"):
            # Decide "is this me?" before looking anyone else up, so the answer reveals no one.
            me = auth_service.load_user(session, actor.user_id) if actor.user_id else None
            if me is None or ref.strip().lower() not in (me.email.lower(), str(me.id)):
                policy.require(actor, "incident.create_for_other")
            return me  # type: ignore[return-value]
        return auth_service.resolve_user(session, ref, field="requester")
    if actor.user_id is None:
        raise Invalid(
            "a requester is required: no user is acting (create an administrator with `vigil user create`)",
            field="requester",
        )
    return auth_service.load_user(session, actor.user_id)


def _parent(session: Session, actor: Actor, ref: str, incident: Incident | None) -> Incident:
    parent = load(session, actor, ref)
    if incident is not None and parent.id == incident.id:
        raise Invalid("an incident cannot be its own parent", field="parent")
    if parent.parent_id is not None:
        raise Invalid(
            f"{parent.number} is itself a duplicate of another incident; link to the master", field="parent"
        )
    if incident is not None:
        incident.parent_visible = True  # loaded through `load`, so visible to this actor
    return parent


def create(
    *, session: Session, actor: Actor, data: IncidentCreate, settings: IncidentSettings | None = None
) -> Incident:
    started = time.perf_counter()
    settings = settings or get_incident_settings()
    policy.require(actor, "incident.create")
    if data.priority is not None:
        policy.require(actor, "incident.set_priority")
    if data.assigned_to or data.assignment_group:
        policy.require(actor, "incident.assign")
    now = clock.now()
    incident = Incident(
        id=uuid.uuid4(),  # known now, so the audit record and event need no flush before them
        title=data.title,
        description=data.description,
        category=categories.require_active(session, data.category),
        impact=data.impact,
        urgency=data.urgency,
        priority=data.priority or priority.compute(data.impact, data.urgency, settings.priority_matrix),
        priority_reason=data.priority_reason if data.priority else None,
        status=lifecycle.Status.OPEN,
        requester=_requester(session, actor, data.requester),
        assigned_to=_assignee(session, data.assigned_to) if data.assigned_to else None,
        assignment_group=auth_service.resolve_team(session, data.assignment_group, field="assignment_group")
        if data.assignment_group
        else None,
        affected_cis=cmdb_service.resolve_many(session, data.affected_cis, field="affected_cis", actor=actor),
        impacted_services=[],  # a new incident has none until impact.refresh (no query to find that out)
        tags=sorted(set(data.tags)),
        parent=_parent(session, actor, data.parent, None) if data.parent else None,
        created_at=now,
        updated_at=now,
    )
    incident.parent_visible = incident.parent is not None
    incident.number = numbering.next_number(session, "INC")
    requested_impact = incident.impact
    raised = impact.refresh(session, incident, settings) if incident.affected_cis else None
    session.add(incident)
    clocks.started(session, incident, now)
    changes = audit.diff({}, {k: v for k, v in snapshot(incident).items() if v not in (None, "", [])})
    audit.record(
        session,
        actor,
        action="incident.create",
        object_type="incident",
        object_id=incident.id,
        changes=changes,
        at=now,  # the timeline's first entry is the incident's creation time
    )
    if raised:
        impact.record_raise(session, actor, incident, requested_impact, raised)
    events.emit(
        session, IncidentCreated(incident_id=incident.id, number=incident.number, priority=incident.priority)
    )
    if incident.assigned_to is not None or incident.assignment_group is not None:
        transitions.assigned(session, actor, incident)
    session.flush()  # one unit-of-work flush for the incident, its CIs, its audit record and its event
    metrics.ticket_created(session, clocks.RECORD, incident.priority, actor.channel, started)
    return incident


def update(
    *,
    session: Session,
    actor: Actor,
    ref: str,
    data: IncidentUpdate,
    settings: IncidentSettings | None = None,
    expected_version: int | frozenset[int] | None = None,
) -> Incident:
    """Apply the fields present in `data`; a `status` moves through the state machine like an action.
    `expected_version` (or `data.version`) is the version the caller read: a newer record is a 412."""
    settings = settings or get_incident_settings()
    incident = load(session, actor, ref, for_update=True)
    policy.require(actor, "incident.update")
    check_version(
        incident.number, incident.version, data.version if expected_version is None else expected_version
    )
    if incident.status in lifecycle.FINAL:
        raise IllegalTransition(
            f"{incident.number} is {incident.status}, which is final; it can no longer be changed"
        )
    given = data.model_fields_set - {"status", "severity", "version"}
    before = snapshot(incident)
    owners = (incident.assigned_to_id, incident.assignment_group_id)
    with session.no_autoflush:  # one UPDATE (and one version bump) per request, not one per lookup
        _apply_fields(session, actor, incident, data, given, settings)
        impact_before = incident.impact
        raised = impact.refresh(session, incident, settings) if "affected_cis" in given else None
    if incident.priority != before.get("priority"):
        clocks.reprioritised(session, incident, clock.now())
    if "status" in data.model_fields_set and data.status is not None and data.status != incident.status:
        action = lifecycle.action_to(incident.status, data.status)
        step = transitions.Step(
            resolution_notes=data.resolution_notes,
            resolution_code=data.resolution_code,
            root_cause=data.root_cause,
        )
        transitions.apply(session, actor, incident, action, step, settings=settings, audited=False)
    changes = audit.diff(before, snapshot(incident))
    if raised:
        changes.pop("impact", None)  # the entry that says why tells it
    if not changes and not raised:
        return incident
    incident.updated_at = clock.now()
    session.flush()
    if changes:
        audit.record(
            session,
            actor,
            action="incident.update",
            object_type="incident",
            object_id=incident.id,
            changes=changes,
        )
    if raised:
        impact.record_raise(session, actor, incident, impact_before, raised)
    events.emit(
        session, IncidentUpdated(incident_id=incident.id, number=incident.number, fields=sorted(changes))
    )
    if (incident.assigned_to_id, incident.assignment_group_id) != owners:  # flushed above
        transitions.assigned(session, actor, incident)
    return incident


def _apply_fields(
    session: Session,
    actor: Actor,
    incident: Incident,
    data: IncidentUpdate,
    given: set[str],
    settings: IncidentSettings,
) -> None:
    if "title" in given:
        incident.title = _required(data.title, "title")
    if "description" in given:
        incident.description = data.description or ""
    if "root_cause" in given:
        incident.root_cause = data.root_cause or None
    if "category" in given:
        incident.category = categories.require_active(session, _required(data.category, "category"))
    if "tags" in given:
        incident.tags = sorted(set(data.tags or []))
    if "affected_cis" in given:
        incident.affected_cis = cmdb_service.resolve_many(
            session, data.affected_cis or [], field="affected_cis", actor=actor
        )
    if "parent" in given:
        incident.parent = _parent(session, actor, data.parent, incident) if data.parent else None
    _apply_assignment(session, actor, incident, data, given)
    _apply_priority(actor, incident, data, given, settings)


def _apply_assignment(
    session: Session, actor: Actor, incident: Incident, data: IncidentUpdate, given: set[str]
) -> None:
    if not given & {"assigned_to", "assignment_group"}:
        return
    policy.require(actor, "incident.assign")
    if "assigned_to" in given:
        incident.assigned_to = _assignee(session, data.assigned_to) if data.assigned_to else None
    if "assignment_group" in given:
        group = data.assignment_group
        incident.assignment_group = (
            auth_service.resolve_team(session, group, field="assignment_group") if group else None
        )


def _assignee(session: Session, ref: str) -> User:
    """The user an incident may be assigned to: an active member of staff, never a requester."""
    user = auth_service.resolve_user(session, ref, field="assigned_to")
    if user.role not in STAFF:
        raise Invalid(
            f"{user.display_name} ({user.email}) is a requester; incidents are assigned to agents",
            field="assigned_to",
        )
    return user


def _apply_priority(
    actor: Actor, incident: Incident, data: IncidentUpdate, given: set[str], settings: IncidentSettings
) -> None:
    if "impact" in given:
        incident.impact = _required(data.impact, "impact")
    if "urgency" in given:
        incident.urgency = _required(data.urgency, "urgency")
    if given & {"priority", "priority_reason"}:
        policy.require(actor, "incident.set_priority")
    if data.priority is not None:
        incident.priority = data.priority
        incident.priority_reason = data.priority_reason
    elif "priority" in given or incident.priority_reason is None:
        # Explicit null clears an override; otherwise a computed priority follows impact and urgency.
        incident.priority_reason = None
        incident.priority = priority.compute(incident.impact, incident.urgency, settings.priority_matrix)


def _required(value: Any, name: str) -> Any:
    if value is None:
        raise Invalid(f"{name} cannot be null", field=name)
    return value


def _filtered(session: Session, actor: Actor, f: IncidentFilter) -> Select[Incident]:
    stmt = (
        select(Incident).where(policy.visible(actor), *_conditions(session, actor, f)).options(*LOAD_OPTIONS)
    )
    return stmt


def _conditions(session: Session, actor: Actor, f: IncidentFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f.status:
        conds.append(Incident.status.in_([str(s) for s in f.status]))
    if f.priority:
        conds.append(Incident.priority.in_([str(p) for p in f.priority]))
    if f.category:
        conds.append(Incident.category.in_(f.category))
    if f.assigned_to:
        conds.append(_assignee_clause(session, actor, f.assigned_to))
    if f.assignment_group:
        conds.append(_group_clause(session, actor, f.assignment_group))
    if f.ci:
        ci = cmdb_service.resolve(session, f.ci, field="ci", actor=actor)
        conds.append(Incident.id.in_(select(incident_ci.c.incident_id).where(incident_ci.c.ci_id == ci.id)))
    conds += _time_conditions(f)
    if f.sla:
        now = clock.now()
        clauses = {"breached": sla.breached_clause, "at_risk": sla.at_risk_clause}
        conds.append(or_(*(clauses[str(s)](clocks.RECORD, Incident.id, now) for s in f.sla)))
    if f.q:
        q = f.q.strip()
        conds.append(or_(Incident.number == q.upper(), search.matches(session, SEARCH, q, Incident.id)))
    return conds


def _time_conditions(f: IncidentFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f.created_after:
        conds.append(Incident.created_at >= f.created_after)
    if f.created_before:
        conds.append(Incident.created_at < f.created_before)
    if f.updated_after:
        conds.append(Incident.updated_at >= f.updated_after)
    return conds


def _group_clause(session: Session, actor: Actor, ref: str) -> ColumnElement[bool]:
    if ref.lower() == "none":
        return Incident.assignment_group_id.is_(None)
    if ref.lower() == "mine":
        return Incident.assignment_group_id.in_(sorted(actor.team_ids)) if actor.team_ids else false()
    return _directory_match(
        actor, Incident.assignment_group_id, lambda: auth_service.resolve_team(session, ref).id
    )


def _directory_match(
    actor: Actor, column: InstrumentedAttribute[uuid.UUID | None], lookup: Callable[[], uuid.UUID]
) -> ColumnElement[bool]:
    """`column == lookup()`. Staff get a 422 for a typo; for others an unknown name matches nothing,
    so the answer does not tell them who exists (they have no directory)."""
    try:
        return column == lookup()
    except Invalid:
        if actor.has_any(STAFF):
            raise
        return false()


def _assignee_clause(session: Session, actor: Actor, ref: str) -> ColumnElement[bool]:
    if ref.lower() == "none":
        return Incident.assigned_to_id.is_(None)
    if ref.lower() == "me":
        return Incident.assigned_to_id == actor.user_id
    return _directory_match(
        actor, Incident.assigned_to_id, lambda: auth_service.resolve_user(session, ref).id
    )


def count_incidents(
    *, session: Session, actor: Actor, filters: IncidentFilter, bound: int = 999
) -> tuple[int, bool]:
    """How many incidents `actor` sees with `filters`: exact up to `bound` (a LIMITed count), else a
    lower bound (False) — for the live counts beside the queue's views."""
    stmt = select(Incident.id).where(policy.visible(actor), *_conditions(session, actor, filters))
    inner = stmt.limit(bound + 1).subquery()
    found = int(session.scalar(select(func.count()).select_from(inner)) or 0)
    return min(found, bound), found <= bound


def _sort_value(incident: Incident, sort: str) -> Any:
    if sort == "sla_due":
        return sla.soonest_due(incident.sla_clocks)
    return getattr(incident, sort.lstrip("-"))


def list_incidents(*, session: Session, actor: Actor, filters: IncidentFilter) -> Page[Incident]:
    """A page of the incidents `actor` may see, newest first by default; `next_cursor` continues it."""
    sort = filters.sort.value
    after = decode_cursor(filters.cursor, sort) if filters.cursor else None
    base = _filtered(session, actor, filters)
    if sort == "sla_due":  # driven by the clocks' due-time index
        due, on = sla.next_due(clocks.RECORD, Incident.id)
        base, column = base.join(due, on), due.due_at
    else:
        column = getattr(Incident, sort.lstrip("-"))
    stmt = keyset(
        base,
        column=column,
        id_column=Incident.id,
        descending=sort.startswith("-"),
        after=after,
        limit=filters.limit,
    )
    rows = list(session.scalars(stmt))
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    mark_visible_parents(session, actor, rows)
    cursor = encode_cursor(sort, _sort_value(rows[-1], sort), rows[-1].id) if more and rows else None
    found: Page[Incident] = Page(items=rows, next_cursor=cursor)
    if filters.count:
        found.count, found.count_exact = pagination.count(
            session, select(Incident.id).where(policy.visible(actor), *_conditions(session, actor, filters))
        )
    return found
